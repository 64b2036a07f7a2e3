package stats

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files (docs/stats/citizenship.md)")

var citizenshipDoc = filepath.Join("..", "docs", "stats", "citizenship.md")

// citizenshipMarkdown renders the citizenship table for the docs.
func citizenshipMarkdown() []byte {
	var b bytes.Buffer
	b.WriteString(`# Citizenship labels and ISO 3166-1 codes

Generated from the table in stats/citizenship.go by
` + "`go test ./stats -run TestCitizenshipDoc -update`" + `; a test fails when the two differ.

Every citizenship label of the published files maps to an ISO 3166-1 alpha-2 code, so that counts of different
sources (and of partner countries' own statistics) line up by country. Labels are matched after folding: upper case,
apostrophes dropped, runs of spaces made one, so ` + "`MEXICO`" + ` and ` + "`Mexico`" + ` are one label.

- ` + "`Other`" + ` stays ` + "`Other`" + `: CBP's "Other" citizenship grouping is a mix of countries and has no code.
  OHSS's ` + "`Unknown`" + ` maps to ` + "`Other`" + ` too.
- A label missing from the table imports with the code ` + "`Other`" + ` and a warning
  (` + "`stats.import.unknown_citizenship`" + `) naming the file, line and label; add it to the table.
- Two codes are not officially assigned countries: ` + "`XK`" + ` (Kosovo, user-assigned, as the European Commission uses
  it) and ` + "`CS`" + ` (Serbia and Montenegro, a former country, code transitionally reserved).
- ` + "`--where citizenship=MX`" + ` matches every label whose code is MX.

| code | labels | note |
|---|---|---|
`)
	rows := map[string]citizenship{}
	for _, c := range citizenships {
		rows[c.code] = c
	}
	for _, code := range citizenshipCodes() {
		c := rows[code]
		labels := append([]string(nil), c.labels...)
		sort.Strings(labels)
		fmt.Fprintf(&b, "| %s | %s | %s |\n", code, strings.Join(labels, "; "), c.note)
	}
	return b.Bytes()
}

func TestCitizenshipDoc(t *testing.T) {
	want := citizenshipMarkdown()
	if *update {
		if err := os.WriteFile(citizenshipDoc, want, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(citizenshipDoc)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s is out of date with the Go table; run go test ./stats -run TestCitizenshipDoc -update", citizenshipDoc)
	}
}

func TestCitizenshipCode(t *testing.T) {
	tests := []struct {
		label string
		want  string
		ok    bool
	}{
		{"Mexico", "MX", true},
		{"MEXICO", "MX", true},
		{"  el   salvador ", "SV", true},
		{"CHINA, PEOPLES REPUBLIC OF", "CN", true},
		{"China, People's Republic", "CN", true},
		{"MYANMAR (BURMA)", "MM", true},
		{"Burma", "MM", true},
		{"Korea, South", "KR", true},
		{"Cote d'Ivoire", "CI", true},
		{"Other", OtherCode, true},
		{"OTHER", OtherCode, true},
		{"Unknown", OtherCode, true},
		{"Atlantis", OtherCode, false},
	}
	for _, tt := range tests {
		got, ok := CitizenshipCode(tt.label)
		if got != tt.want || ok != tt.ok {
			t.Errorf("CitizenshipCode(%q) = %q, %v; want %q, %v", tt.label, got, ok, tt.want, tt.ok)
		}
	}
	seen := map[string]bool{}
	for _, c := range citizenships {
		if seen[c.code] {
			t.Errorf("code %s appears twice in the table", c.code)
		}
		seen[c.code] = true
		if c.code != OtherCode && (len(c.code) != 2 || strings.ToUpper(c.code) != c.code) {
			t.Errorf("code %q is not two capital letters", c.code)
		}
	}
}

// citizenshipCodes returns the sorted codes of the table, OtherCode first.
func citizenshipCodes() []string {
	var out []string
	for _, c := range citizenships {
		out = append(out, c.code)
	}
	sort.Slice(out, func(i, j int) bool {
		if (out[i] == OtherCode) != (out[j] == OtherCode) {
			return out[i] == OtherCode
		}
		return out[i] < out[j]
	})
	return out
}
