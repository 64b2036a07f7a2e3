package draw_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/senda-platform/senda"
	"github.com/senda-platform/senda/draw"
)

// FuzzDecodeVerify feeds hostile JSON to Decode, then Verify and Run. It
// must never panic; a decoded record must survive Encode and Decode
// unchanged, and the output of Run must verify.
func FuzzDecodeVerify(f *testing.F) {
	f.Add([]byte(validJSON))
	files, _ := filepath.Glob(filepath.Join("..", "docs", "draw", "vectors", "*.json"))
	for _, name := range files {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	for _, s := range []string{
		``, `null`, `{}`, `[]`, `"x"`, `{"format":`, `{"slots":[[[[[[[[[[]]]]]]]]]]}`,
		`{"requests":[{"id":"a","size":1e400}]}`, `{"priority_share_bp":-9223372036854775809}`,
		`{"beacon":null}`, `{"beacon":{"round":1.0}}`, `{"a":1,"a":2,"a":3}`, "{\"\xff\":1}",
		`{"requests":[{"preferences":["A","B","C","D","E"]}]}`, `{"slots":[{"start":"9999-12-31T23:59:59-23:59"}]}`,
		`{"slots":[{"start":"0001-01-01T00:00:00+23:59"}]}`, `{"format":"senda-draw/1"} x`,
		`{"format":"senda-\u0064raw/1"}`, `{"seed":"\ud800\udc00\ud800x"}`, `{"a":[01]}`, `{"a":-}`, `{"a":1.}`,
		`{"a":1e}`, `{"a":tru}`, "{\"a\":\"\t\"}", `{"a":"\x"}`, `{"a" 1}`, `{"a":1,}`, `[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		rec, err := draw.Decode(bytes.NewReader(data))
		if err == nil && !json.Valid(data) {
			t.Fatalf("Decode accepted invalid JSON %q", data)
		}
		if err != nil {
			var e *senda.Error
			if !errors.As(err, &e) || e.Code != senda.CodeInvalid {
				t.Fatalf("Decode: got %v, want an invalid *senda.Error", err)
			}
			if len(e.Fields) == 0 || len(e.Fields) > draw.MaxFieldErrors+2 {
				t.Fatalf("Decode: got %d field errors, want 1..%d", len(e.Fields), draw.MaxFieldErrors+2)
			}
			return
		}
		var std struct {
			Format string
			Beacon *struct{ Source string }
		}
		if err := json.Unmarshal(data, &std); err != nil {
			t.Fatalf("encoding/json rejects what Decode accepted: %v", err)
		}
		if std.Format != rec.Format || (rec.Beacon != nil && std.Beacon.Source != rec.Beacon.Source) {
			t.Fatalf("strings differ from encoding/json: got %q, want %q", rec.Format, std.Format)
		}
		var buf bytes.Buffer
		if err := draw.Encode(&buf, rec); err != nil {
			t.Fatal(err)
		}
		back, err := draw.Decode(&buf)
		if err != nil {
			t.Fatalf("Decode(Encode(rec)): %v\n%s", err, buf.Bytes())
		}
		if diff := cmp.Diff(rec, back); diff != "" {
			t.Fatalf("round trip (-decoded +re-decoded):\n%s", diff)
		}
		_ = draw.Verify(rec)
		out, err := draw.Run(rec)
		if err != nil {
			return // a seed that does not match its commitment
		}
		if err := draw.Verify(out); err != nil {
			t.Fatalf("Verify(Run(rec)): %v", err)
		}
	})
}
