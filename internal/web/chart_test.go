package web

import (
	"encoding/xml"
	"strconv"
	"strings"
	"testing"
)

func TestNiceStep(t *testing.T) {
	tests := []struct {
		top  int64
		n    int
		want int64
	}{
		{0, 4, 1}, {3, 4, 1}, {9, 4, 5}, {100, 4, 50}, {301981, 4, 100000}, {189913, 4, 50000}, {1200, 4, 500},
	}
	for _, tt := range tests {
		if got := niceStep(tt.top, tt.n); got != tt.want {
			t.Errorf("niceStep(%d, %d) = %d, want %d", tt.top, tt.n, got, tt.want)
		}
	}
}

// Charts are well-formed SVG with escaped text, no inline style and one
// shape per value.
func TestCharts(t *testing.T) {
	pts := []ChartPoint{{Label: "<Mexico & co>", Value: 62994, Text: "62,994", Highlight: true}, {Label: "Guatemala", Value: 23786, Text: "23,786"}, {Label: "Honduras", Value: 0, Text: "0"}}
	for name, svg := range map[string]string{
		"line": string(LineChart(`Encounters "by" month`, pts, func(n int64) string { return strconv.FormatInt(n, 10) })),
		"bar":  string(BarChart(`Encounters "by" citizenship`, pts)),
		"none": string(LineChart("Nothing", nil, nil)),
	} {
		if err := xml.Unmarshal([]byte(svg), new(struct{})); err != nil {
			t.Errorf("%s: not well-formed: %v\n%s", name, err, svg)
		}
		if strings.Contains(svg, "style=") || strings.Contains(svg, "<Mexico") {
			t.Errorf("%s: inline style or unescaped text:\n%s", name, svg)
		}
	}
	if got := strings.Count(string(BarChart("b", pts)), "<rect "); got != 3 {
		t.Errorf("bar chart: %d bars, want 3", got)
	}
	if got := strings.Count(string(LineChart("l", pts, func(int64) string { return "" })), "<circle "); got != 1 {
		t.Errorf("line chart: %d marks, want 1 (the highlighted point)", got)
	}
	many := make([]ChartPoint, 40)
	if got := strings.Count(string(BarChart("b", many)), "<rect "); got != maxBarsShow {
		t.Errorf("40 bars: drew %d, want %d", got, maxBarsShow)
	}
}
