package dedupe

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestPhoneKey(t *testing.T) {
	tests := []struct{ in, want string }{
		{"+502 5555-1234", "55551234"},
		{"00502 55551234", "55551234"},
		{"5555 1234", "55551234"},
		{"+58 414 1234567", "41234567"},
		{"0414-1234567", "41234567"},
		{"(55) 1234 5678", "12345678"},
		{"123456", ""},
		{"", ""},
	}
	for _, tt := range tests {
		if got := PhoneKey(tt.in); got != tt.want {
			t.Errorf("PhoneKey(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestEmailKey(t *testing.T) {
	tests := []struct{ in, want string }{
		{" Ana.Perez+senda@Gmail.com ", "anaperez@gmail.com"},
		{"ana.perez@googlemail.com", "anaperez@gmail.com"},
		{"ana.perez+x@example.org", "ana.perez@example.org"},
		{"no-at-sign", ""},
		{"a@b@c", ""},
		{"@example.org", ""},
	}
	for _, tt := range tests {
		if got := EmailKey(tt.in); got != tt.want {
			t.Errorf("EmailKey(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestAddressKey(t *testing.T) {
	same := [][]string{
		{"Calle 5 # 10-20, Zona 1", "zona 1, calle 5 no. 10 20", "CL 5 N 10-20 Z 1"},
		{"Avenida Bolívar, Edificio Las Acacias, Apto 3", "av bolivar ed acacias apartamento 3"},
		{"Rue Capois #12, Port-au-Prince", "12 rue capois port au prince"},
	}
	for _, group := range same {
		want := AddressKey(group[0])
		if want == "" {
			t.Fatalf("AddressKey(%q) is empty", group[0])
		}
		for _, a := range group[1:] {
			if got := AddressKey(a); got != want {
				t.Errorf("AddressKey(%q) = %q, want %q (as %q)", a, got, want, group[0])
			}
		}
	}
	if a, b := AddressKey("Calle 5 # 10-20"), AddressKey("Calle 6 # 10-20"); a == b {
		t.Errorf("different addresses give the same key %q", a)
	}
	if got := AddressKey(" , "); got != "" {
		t.Errorf("AddressKey of punctuation = %q, want empty", got)
	}
}

func TestSharedContacts(t *testing.T) {
	var hh []Contact
	// One account registers five households; one phone is given by four.
	for i, s := range []string{"Pérez", "Gómez", "Ruiz", "Díaz", "Soto"} {
		c := Contact{HouseholdID: "acct" + string(rune('a'+i)), AccountID: "u-1", Surnames: []string{s}}
		if i < 4 {
			c.Phones = []string{[]string{"+502 5555-1234", "5555 1234", "00502 55551234", "55551234"}[i]}
		}
		hh = append(hh, c)
	}
	// Five households at one address: three families (Jean x2, Pierre x2,
	// Louis) -> 3 unrelated groups, within the default limit of 3.
	for i, s := range []string{"Jean", "Jean-Baptiste", "Pierre", "PIERRE", "Louis"} {
		hh = append(hh, Contact{HouseholdID: "rue" + string(rune('a'+i)), Address: "Rue Capois #12", Surnames: []string{s}})
	}
	// Five unrelated households at another address, written differently.
	for i, a := range []string{"Calle 5 # 10-20, Zona 1", "zona 1, calle 5 no. 10 20", "CL 5 N 10-20 Z 1", "calle 5 10 20 zona 1", "Calle 5, 10-20, Zona 1"} {
		s := []string{"García", "López", "Martínez", "Hernández", "Torres"}[i]
		hh = append(hh, Contact{HouseholdID: "calle" + string(rune('a'+i)), Address: a, Surnames: []string{s, "Ortiz" + string(rune('a'+i))},
			Emails: []string{"x@example.org"}})
	}
	got := SharedContacts(hh, ClusterOptions{})
	want := []Cluster{
		{Kind: KindAccount, Key: "u-1", Households: []string{"accta", "acctb", "acctc", "acctd", "accte"}, Unrelated: 5},
		{Kind: KindAddress, Key: AddressKey("Calle 5 # 10-20, Zona 1"), Households: []string{"callea", "calleb", "callec", "called", "callee"}, Unrelated: 5},
		{Kind: KindEmail, Key: "x@example.org", Households: []string{"callea", "calleb", "callec", "called", "callee"}, Unrelated: 5},
		{Kind: KindPhone, Key: "55551234", Households: []string{"accta", "acctb", "acctc", "acctd"}, Unrelated: 4},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("SharedContacts mismatch (-want +got):\n%s", diff)
	}
	// With a lower limit the families at Rue Capois are reported too.
	got = SharedContacts(hh, ClusterOptions{MaxUnrelatedPerAddress: 2})
	found := false
	for _, c := range got {
		if c.Kind == KindAddress && c.Key == AddressKey("Rue Capois #12") {
			found = true
			if c.Unrelated != 3 {
				t.Errorf("Rue Capois: Unrelated = %d, want 3", c.Unrelated)
			}
		}
	}
	if !found {
		t.Errorf("Rue Capois not reported with MaxUnrelatedPerAddress 2")
	}
}

func TestClusterLogValue(t *testing.T) {
	var buf bytes.Buffer
	slog.New(slog.NewTextHandler(&buf, nil)).Info("cluster", "c", Cluster{Kind: KindPhone, Key: "55551234", Households: []string{"a", "b"}})
	if strings.Contains(buf.String(), "55551234") {
		t.Errorf("log line %q contains the phone number", buf.String())
	}
}

func TestPersonLogValue(t *testing.T) {
	var buf bytes.Buffer
	p := Person{ID: "p1", HouseholdID: "h1", GivenNames: []string{"Yesenia"}, BirthDate: "1991-06-14", DocumentNumbers: []string{"V12345678"}}
	slog.New(slog.NewTextHandler(&buf, nil)).Info("person", "p", p)
	for _, secret := range []string{"Yesenia", "1991", "V12345678"} {
		if strings.Contains(buf.String(), secret) {
			t.Errorf("log line %q contains %q", buf.String(), secret)
		}
	}
	if !strings.Contains(buf.String(), "p1") {
		t.Errorf("log line %q lacks the ID", buf.String())
	}
}
