package stats

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/senda-platform/senda"
)

// Write writes res in format f.
func Write(w io.Writer, f Format, res Result) error {
	switch f {
	case FormatCSV:
		return WriteCSV(w, res)
	case FormatJSON:
		return WriteJSON(w, res)
	case FormatTable, "":
		return WriteTable(w, res)
	}
	return senda.Errorf(senda.CodeInvalid, "stats.query.unknown_format", map[string]any{"format": string(f)})
}

// kind returns the kind of the j-th By dimension (Label if unknown).
func (r *Result) kind(j int) Kind {
	if j < len(r.Kinds) {
		return r.Kinds[j]
	}
	return Label
}

func (r *Result) cells(row ResultRow) []string {
	out := append(make([]string, 0, len(row.Values)+1+len(row.Extra)), row.Values...)
	out = append(out, strconv.FormatInt(row.Count, 10))
	for _, v := range row.Extra {
		out = append(out, v.String())
	}
	return out
}

// WriteCSV writes a header row (the By dimensions, the measure, the
// comparison columns) and one line per result row, lines ending in "\n".
// Null comparison values are empty fields.
func WriteCSV(w io.Writer, res Result) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(res.Columns()); err != nil {
		return err
	}
	for _, row := range res.Rows {
		if err := cw.Write(res.cells(row)); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// WriteTable writes an aligned text table: labels and months left-aligned,
// numbers right-aligned, columns two spaces apart, a dashed rule under the
// header.
func WriteTable(w io.Writer, res Result) error {
	head := res.Columns()
	rows := [][]string{head}
	for _, row := range res.Rows {
		rows = append(rows, res.cells(row))
	}
	right := make([]bool, len(head))
	for j := range head {
		switch {
		case j < len(res.By):
			right[j] = res.kind(j) == Year
		case j == len(res.By):
			right[j] = true
		default:
			right[j] = true
			for _, row := range res.Rows {
				if v := row.Extra[j-len(res.By)-1]; v.kind == vString || v.kind == vBool {
					right[j] = false
				}
			}
		}
	}
	width := make([]int, len(head))
	for _, r := range rows {
		for j, c := range r {
			width[j] = max(width[j], utf8.RuneCountInString(c))
		}
	}
	bw := bufio.NewWriter(w)
	line := func(r []string) {
		var b strings.Builder
		for j, c := range r {
			if j > 0 {
				b.WriteString("  ")
			}
			pad := strings.Repeat(" ", width[j]-utf8.RuneCountInString(c))
			if right[j] {
				b.WriteString(pad + c)
			} else if j < len(r)-1 {
				b.WriteString(c + pad)
			} else {
				b.WriteString(c)
			}
		}
		bw.WriteString(strings.TrimRight(b.String(), " ") + "\n")
	}
	line(head)
	rule := make([]string, len(head))
	for j := range rule {
		rule[j] = strings.Repeat("-", width[j])
	}
	line(rule)
	for _, r := range rows[1:] {
		line(r)
	}
	return bw.Flush()
}

// WriteJSON writes an array with one object per result row: each By
// dimension (fiscal years as numbers, months and labels as strings), the
// measure, then the comparison columns (null when not applicable).
func WriteJSON(w io.Writer, res Result) error {
	cols := res.Columns()
	keys := make([][]byte, len(cols))
	for j, c := range cols {
		keys[j], _ = json.Marshal(c)
	}
	bw := bufio.NewWriter(w)
	bw.WriteString("[")
	for i, row := range res.Rows {
		if i > 0 {
			bw.WriteString(",")
		}
		bw.WriteString("\n  {")
		for j := range cols {
			if j > 0 {
				bw.WriteString(", ")
			}
			bw.Write(keys[j])
			bw.WriteString(": ")
			switch {
			case j < len(res.By):
				v := row.Values[j]
				if res.kind(j) == Year {
					bw.WriteString(v)
				} else {
					b, _ := json.Marshal(v)
					bw.Write(b)
				}
			case j == len(res.By):
				bw.WriteString(strconv.FormatInt(row.Count, 10))
			default:
				b, _ := row.Extra[j-len(res.By)-1].MarshalJSON()
				bw.Write(b)
			}
		}
		bw.WriteString("}")
	}
	if len(res.Rows) > 0 {
		bw.WriteString("\n")
	}
	bw.WriteString("]\n")
	return bw.Flush()
}
