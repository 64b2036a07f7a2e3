package seal

import (
	"bytes"
	"testing"
)

func TestSealOpenRotate(t *testing.T) {
	k := New()
	ct := k.Seal([]byte("+52 55 1234 5678"), "outbox.recipient/1")
	if bytes.Contains(ct, []byte("1234")) {
		t.Fatal("ciphertext contains plaintext")
	}
	if _, err := k.Open(ct, "outbox.recipient/2"); err == nil {
		t.Fatal("opened a ciphertext bound to another row")
	}
	k.Rotate()
	pt, err := k.Open(ct, "outbox.recipient/1")
	if err != nil || string(pt) != "+52 55 1234 5678" {
		t.Fatalf("got %q, %v after rotation; want the plaintext", pt, err)
	}
	ct2 := k.Seal([]byte("x"), "p")
	if KeyID(ct2) != 2 || KeyID(ct) != 1 {
		t.Fatalf("got key ids %d, %d; want 2, 1", KeyID(ct2), KeyID(ct))
	}
	k2, err := Parse(k.Marshal())
	if err != nil {
		t.Fatal(err)
	}
	if pt, err := k2.Open(ct, "outbox.recipient/1"); err != nil || string(pt) != "+52 55 1234 5678" {
		t.Fatalf("reloaded keyring: got %q, %v", pt, err)
	}
	if k.Index("phone", "5215512345678") != k2.Index("phone", "5215512345678") {
		t.Fatal("blind index changed across reload")
	}
}

// The append forms seal and open after what a buffer holds already, and
// agree with Seal and Open.
func TestSealOpenAppend(t *testing.T) {
	k := New()
	buf := []byte("head")
	buf = k.SealAppend(buf, []byte("one"), []byte("p/1"))
	mid := len(buf)
	buf = k.SealAppend(buf, []byte("two"), []byte("p/2"))
	if string(buf[:4]) != "head" || len(buf) != 4+2*Overhead+6 {
		t.Fatalf("sealed buffer %q of %d bytes", buf, len(buf))
	}
	if pt, err := k.Open(buf[4:mid], "p/1"); err != nil || string(pt) != "one" {
		t.Fatalf("first: %q %v", pt, err)
	}
	out, err := k.OpenAppend([]byte("x"), buf[mid:], []byte("p/2"))
	if err != nil || string(out) != "xtwo" {
		t.Fatalf("second: %q %v", out, err)
	}
	if out, err := k.OpenAppend([]byte("x"), buf[mid:], []byte("p/1")); err != ErrOpen || string(out) != "x" {
		t.Fatalf("wrong place: %q %v; want the buffer unchanged and ErrOpen", out, err)
	}
	if ct := k.Seal([]byte("abc"), "p"); len(ct) != Overhead+3 || cap(ct) != len(ct) {
		t.Fatalf("Seal: %d bytes in %d", len(ct), cap(ct))
	}
}

func FuzzOpen(f *testing.F) {
	k := New()
	f.Add(k.Seal([]byte("hello"), "p"))
	f.Add([]byte{1, 0, 0, 0, 1})
	f.Fuzz(func(t *testing.T, b []byte) {
		k.Open(b, "p") // must not panic
	})
}
