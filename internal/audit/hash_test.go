package audit

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// The worked example of docs/audit.md; the same values are checked there with
// Python.
func vectorEntries() []Entry {
	e1 := Entry{Seq: 1, At: time.Date(2025, 3, 14, 9, 26, 53, 589793000, time.UTC), ActorID: "u-1", ActorRole: "caseworker",
		ActorScope: "office:BOG", Action: "household.read", RecordType: "household", RecordID: "h-42", Subject: "acct-7",
		Fields: []string{"members", "phone"}, RequestID: "req-1", PrevHash: Genesis}
	e2 := Entry{Seq: 2, At: time.Date(2025, 3, 14, 9, 30, 0, 0, time.UTC), ActorID: "u-9", ActorRole: "auditor",
		Action: "export.households", RecordType: "household", Reason: "Revisión \"trimestral\"\n\t\x01\x7f — 🙂 \\"}
	return []Entry{e1, e2}
}

func TestHashVectors(t *testing.T) {
	es := vectorEntries()
	want := []struct{ canonical, hash string }{
		{`[1,"2025-03-14T09:26:53.589793Z","u-1","caseworker","office:BOG","","household.read","household","h-42","acct-7",["members","phone"],"","","req-1"]`,
			"5a988e71d703af2f21c92986c917dce86e69ad8569ba8a7e31822ae63460d3db"},
		{`[2,"2025-03-14T09:30:00.000000Z","u-9","auditor","","","export.households","household","","",[],"Revisi\u00f3n \"trimestral\"\n\t\u0001\u007f \u2014 \ud83d\ude42 \\","",""]`,
			"320207744b2cd70a176444c8952e1f6636fc0783f957ac6ff5045b5aeeadaaad"},
	}
	prev := Genesis
	for i, e := range es {
		e.PrevHash = prev
		if got := string(Canonical(e)); got != want[i].canonical {
			t.Errorf("entry %d: got canonical\n%s\nwant\n%s", e.Seq, got, want[i].canonical)
		}
		if got := Hash(e); got != want[i].hash {
			t.Errorf("entry %d: got hash %s, want %s", e.Seq, got, want[i].hash)
		}
		prev = want[i].hash
	}
}

func TestEntryJSONRoundTrip(t *testing.T) {
	e := vectorEntries()[0]
	e.Hash = Hash(e)
	b, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	var got Entry
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(e, got); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
	if want := `"at":"2025-03-14T09:26:53.589793Z"`; !json.Valid(b) || !strings.Contains(string(b), want) {
		t.Errorf("got %s, want it to hold %s", b, want)
	}
}

// FuzzCanonicalString checks that the hashed string form is ASCII-only JSON
// that decodes to the original text.
func FuzzCanonicalString(f *testing.F) {
	for _, s := range []string{"", "plain", "quote \" and \\ backslash", "\x00\x01\x1f\x7f", "\b\f\n\r\t", "ñ — 🙂", "\u2028\u2029", "<&>", "\U0010ffff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		b := appendString(nil, s)
		for _, c := range b {
			if c < 0x20 || c >= 0x7f {
				t.Fatalf("got byte %#x in %q, want printable ASCII only", c, b)
			}
		}
		var got string
		if err := json.Unmarshal(b, &got); err != nil {
			t.Fatalf("got invalid JSON %q: %v", b, err)
		}
		want := string([]rune(s)) // invalid UTF-8 reads as U+FFFD
		if got != want {
			t.Fatalf("got %q back, want %q", got, want)
		}
	})
}

// FuzzCanonicalArray checks that the fields column check accepts exactly the
// texts that appendStrings writes.
func FuzzCanonicalArray(f *testing.F) {
	for _, s := range []string{"[]", `["members","phone"]`, `[ "members"]`, `["a",]`, `[""]`, `["\u00f3"]`, `["\u00F3"]`, `["\u0041"]`,
		`["\n"]`, `["\u000a"]`, `["\ud83d\ude42"]`, `["\ud83d"]`, `["\ude42"]`, `["\/"]`, `null`, `["a"]x`, "[\"\x7f\"]", `["\u007f"]`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var list []string
		want := json.Unmarshal([]byte(s), &list) == nil && string(appendStrings(nil, list)) == s
		if got := canonicalArray(s); got != want {
			t.Fatalf("canonicalArray(%q): got %v, want %v", s, got, want)
		}
	})
}
