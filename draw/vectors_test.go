package draw_test

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/senda-platform/senda/draw"
)

var update = flag.Bool("update", false, "rewrite the expected test vectors from the inputs")

const vectorsDir = "../docs/draw/vectors"

// TestVectors checks that Run reproduces every published test vector byte
// for byte, and that Verify accepts it.
func TestVectors(t *testing.T) {
	inputs, err := filepath.Glob(filepath.Join(vectorsDir, "*.input.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(inputs) < 4 {
		t.Fatalf("got %d test vectors in %s, want at least 4", len(inputs), vectorsDir)
	}
	for _, in := range inputs {
		name := strings.TrimSuffix(filepath.Base(in), ".input.json")
		t.Run(name, func(t *testing.T) {
			f, err := os.Open(in)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			rec, err := draw.Decode(f)
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			out, err := draw.Run(rec)
			if err != nil {
				t.Fatalf("Run: %v", err)
			}
			var got bytes.Buffer
			if err := draw.Encode(&got, out); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(vectorsDir, name+".expected.json")
			if *update {
				if err := os.WriteFile(path, got.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got.Bytes(), want) {
				t.Errorf("Run output differs from %s:\ngot:\n%s\nwant:\n%s", path, got.Bytes(), want)
			}
			published, err := draw.Decode(bytes.NewReader(want))
			if err != nil {
				t.Fatalf("Decode(expected): %v", err)
			}
			if err := draw.Verify(published); err != nil {
				t.Errorf("Verify(expected): %v", err)
			}
		})
	}
}
