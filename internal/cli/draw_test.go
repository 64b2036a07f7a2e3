package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestDrawRunAndVerifyVectors(t *testing.T) {
	ins, _ := filepath.Glob("../../docs/draw/vectors/*.input.json")
	if len(ins) == 0 {
		t.Fatal("no test vectors")
	}
	for _, in := range ins {
		want, err := os.ReadFile(strings.Replace(in, ".input.", ".expected.", 1))
		if err != nil {
			t.Fatal(err)
		}
		code, out, stderr := run("draw", "run", in)
		if code != 0 || out != string(want) {
			t.Errorf("draw run %s: exit %d %s\ngot:\n%s\nwant:\n%s", filepath.Base(in), code, stderr, out, want)
		}
		exp := strings.Replace(in, ".input.", ".expected.", 1)
		if code, out, stderr := run("draw", "verify", exp); code != 0 || !strings.Contains(out, "verified") {
			t.Errorf("draw verify %s: exit %d %q %q", filepath.Base(exp), code, out, stderr)
		}
	}
	// A tampered record: exit 1 naming the first difference.
	b, _ := os.ReadFile("../../docs/draw/vectors/01-basic.expected.json")
	tampered := strings.Replace(string(b), `"phase":"lottery"`, `"phase":"priority"`, 1)
	p := filepath.Join(t.TempDir(), "t.json")
	os.WriteFile(p, []byte(tampered), 0o600)
	code, _, stderr := run("draw", "verify", p)
	if code != 1 || !strings.Contains(stderr, "allocations[") {
		t.Errorf("tampered record: exit %d %q", code, stderr)
	}
	os.WriteFile(p, []byte(`{"format":"senda-draw/1","service_date":"2024-13-01"}`), 0o600)
	code, _, stderr = run("draw", "run", p)
	if code != 1 || !strings.Contains(stderr, "service_date") {
		t.Errorf("bad record: exit %d %q", code, stderr)
	}
}
