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

func FuzzOpen(f *testing.F) {
	k := New()
	f.Add(k.Seal([]byte("hello"), "p"))
	f.Add([]byte{1, 0, 0, 0, 1})
	f.Fuzz(func(t *testing.T, b []byte) {
		k.Open(b, "p") // must not panic
	})
}
