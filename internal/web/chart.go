package web

import (
	"fmt"
	"html"
	"html/template"
	"math"
	"strings"
)

// ChartPoint is one value of a chart: a label (a month or a category), its
// value, the text shown for the value, and whether it stands out (a record
// or the chosen month).
type ChartPoint struct {
	Label     string
	Value     int64
	Text      string
	Highlight bool
}

// Chart geometry, in SVG user units. The SVG scales to the width of its
// container (CSS), so these only set proportions and text size.
const (
	chartW      = 480
	lineH       = 220
	padLeft     = 66
	padRight    = 14
	padTop      = 12
	padBottom   = 26
	barRow      = 22
	barLabelW   = 150
	barValueW   = 72
	maxXLabels  = 5
	maxBarsShow = 16
)

// niceStep returns a round step (1, 2 or 5 times a power of ten) that cuts
// 0..top into at most n intervals.
func niceStep(top int64, n int) int64 {
	if top <= 0 {
		return 1
	}
	raw := float64(top) / float64(n)
	p := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*p >= raw {
			return max(1, int64(m*p))
		}
	}
	return max(1, int64(10*p))
}

// LineChart draws values over time as an SVG line with a y axis of round
// numbers, a few x labels and a dot on each highlighted point. title is the
// chart's accessible name; format writes axis numbers.
func LineChart(title string, pts []ChartPoint, format func(int64) string) template.HTML {
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="chart chart-line" viewBox="0 0 %d %d" role="img" aria-label="%s" preserveAspectRatio="xMidYMid meet">`, chartW, lineH, html.EscapeString(title))
	fmt.Fprintf(&b, `<title>%s</title>`, html.EscapeString(title))
	if len(pts) == 0 {
		b.WriteString(`</svg>`)
		return template.HTML(b.String())
	}
	var top int64
	for _, p := range pts {
		top = max(top, p.Value)
	}
	step := niceStep(top, 4)
	ymax := max(step, (top+step-1)/step*step)
	plotW := float64(chartW - padLeft - padRight)
	plotH := float64(lineH - padTop - padBottom)
	x := func(i int) float64 {
		if len(pts) == 1 {
			return float64(padLeft) + plotW/2
		}
		return float64(padLeft) + plotW*float64(i)/float64(len(pts)-1)
	}
	y := func(v int64) float64 { return float64(padTop) + plotH*(1-float64(v)/float64(ymax)) }
	b.WriteString(`<g class="grid">`)
	for v := int64(0); v <= ymax; v += step {
		fmt.Fprintf(&b, `<line x1="%d" y1="%.1f" x2="%d" y2="%.1f"/>`, padLeft, y(v), chartW-padRight, y(v))
	}
	b.WriteString(`</g><g class="axis axis-y">`)
	for v := int64(0); v <= ymax; v += step {
		fmt.Fprintf(&b, `<text x="%d" y="%.1f">%s</text>`, padLeft-6, y(v)+4, html.EscapeString(format(v)))
	}
	b.WriteString(`</g><g class="axis axis-x">`)
	every := (len(pts) + maxXLabels - 1) / maxXLabels
	for i := 0; i < len(pts); i += every {
		fmt.Fprintf(&b, `<text x="%.1f" y="%d">%s</text>`, x(i), lineH-8, html.EscapeString(pts[i].Label))
	}
	b.WriteString(`</g><polyline class="line" points="`)
	for i, p := range pts {
		if i > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "%.1f,%.1f", x(i), y(p.Value))
	}
	b.WriteString(`"/>`)
	for i, p := range pts {
		if p.Highlight {
			fmt.Fprintf(&b, `<circle class="mark" cx="%.1f" cy="%.1f" r="4"><title>%s: %s</title></circle>`, x(i), y(p.Value), html.EscapeString(p.Label), html.EscapeString(p.Text))
		}
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

// BarChart draws one horizontal bar per point, largest scale first as
// given, with the label on the left and the value's text on the right.
// Points beyond the first maxBarsShow are left out (the table behind the
// chart lists them all).
func BarChart(title string, pts []ChartPoint) template.HTML {
	if len(pts) > maxBarsShow {
		pts = pts[:maxBarsShow]
	}
	h := padTop + len(pts)*barRow + 4
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="chart chart-bar" viewBox="0 0 %d %d" role="img" aria-label="%s" preserveAspectRatio="xMidYMid meet">`, chartW, h, html.EscapeString(title))
	fmt.Fprintf(&b, `<title>%s</title>`, html.EscapeString(title))
	var top int64
	for _, p := range pts {
		top = max(top, p.Value)
	}
	width := float64(chartW - barLabelW - barValueW)
	for i, p := range pts {
		yy := padTop + i*barRow
		w := 0.0
		if top > 0 {
			w = width * float64(p.Value) / float64(top)
		}
		class := "bar"
		if p.Highlight {
			class = "bar bar-mark"
		}
		label := p.Label
		if len([]rune(label)) > 20 {
			label = string([]rune(label)[:19]) + "…"
		}
		fmt.Fprintf(&b, `<text class="bar-label" x="%d" y="%d">%s</text>`, barLabelW-6, yy+15, html.EscapeString(label))
		fmt.Fprintf(&b, `<rect class="%s" x="%d" y="%d" width="%.1f" height="%d"><title>%s: %s</title></rect>`, class, barLabelW, yy+3, w, barRow-6, html.EscapeString(p.Label), html.EscapeString(p.Text))
		fmt.Fprintf(&b, `<text class="bar-value" x="%.1f" y="%d">%s</text>`, float64(barLabelW)+w+6, yy+15, html.EscapeString(p.Text))
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}
