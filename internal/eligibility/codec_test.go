package eligibility

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"pgregory.net/rapid"

	"github.com/senda-platform/senda/policy"
	"github.com/senda-platform/senda/profile"
)

// Every answer survives the compact form, including the difference
// between a list not answered (nil) and a list answered "none" (empty).
func TestProfilesRoundTrip(t *testing.T) {
	d := newDecoder()
	rapid.Check(t, func(t *rapid.T) {
		n := rapid.IntRange(0, 6).Draw(t, "members")
		ps := make([]profile.Profile, n)
		for i := range ps {
			ps[i] = genProfile(t, fmt.Sprintf("m%d", i))
		}
		b := EncodeProfiles(nil, ps)
		d.reset()
		got, err := d.decodeProfiles(append([]byte(nil), b...))
		if err != nil {
			t.Fatalf("decode: %v", err)
		}
		if len(ps) == 0 {
			ps = nil
		}
		if len(got) == 0 {
			got = nil
		}
		if diff := cmp.Diff(ps, got); diff != "" {
			t.Fatalf("round trip (-want +got):\n%s", diff)
		}
		// A second household decoded with the same decoder leaves the
		// first intact until reset.
		again, err := d.decodeProfiles(b)
		if err != nil || (len(again) > 0 && !cmp.Equal(again, got)) {
			t.Fatalf("second decode: %v", err)
		}
	})
}

// The format name changes with the profile types, so that profiles stored
// in an older layout are derived again.
func TestProfileFormatNamesTheLayout(t *testing.T) {
	if len(ProfileFormat) != len("p1-")+12 {
		t.Fatalf("got format %q", ProfileFormat)
	}
	n := 0
	for _, f := range profileCodec.fields {
		if f.kind == kPtrStruct {
			n++
		}
	}
	if got, want := len(profileCodec.fields), 43; got != want || n != 1 {
		t.Errorf("got %d profile fields (%d households), want %d: check that genProfile still covers every field", got, n, want)
	}
}

// Decoding never panics, and refuses what is not a compact form.
func FuzzDecodeProfiles(f *testing.F) {
	p := profile.Profile{Person: profile.Person{ID: "a", Nationality: profile.Ptr("VE"), OtherNationalities: []string{},
		IrregularEntries: []profile.Entry{{Country: "US", Date: "2023-01-01", VoluntaryDeparture: profile.Ptr(true)}}, USMisdemeanorConvictions: profile.Ptr(2)},
		Household: &profile.Household{Members: []profile.Member{{ID: "b", Married: profile.Ptr(false)}}}}
	good := EncodeProfiles(nil, []profile.Profile{p, {Person: profile.Person{ID: "c"}}})
	f.Add(good)
	f.Add(good[:len(good)-1])
	f.Add([]byte{})
	f.Add([]byte{1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01})
	f.Add(append(bytes.Clone(good), 0))
	d := newDecoder()
	f.Fuzz(func(t *testing.T, b []byte) {
		d.reset()
		ps, err := d.decodeProfiles(b)
		if err != nil {
			return
		}
		if re := EncodeProfiles(nil, ps); !bytes.Equal(re, b) && len(b) > 0 {
			// Decoding is lenient on nothing: what decodes re-encodes to
			// the same profiles.
			d2 := newDecoder()
			again, err := d2.decodeProfiles(re)
			if err != nil || !cmp.Equal(again, ps, cmpopts.EquateEmpty()) {
				t.Fatalf("re-encoding %x changed the profiles: %v", b, err)
			}
		}
	})
}

// Stored results rebuild exactly the results screened, in every language:
// outcomes, each criterion's outcome, explanation, hint and questions.
func TestResultsRoundTrip(t *testing.T) {
	reg, err := policy.Shipped()
	if err != nil {
		t.Fatal(err)
	}
	pack := reg.Packs()[0]
	pi := infoOf(pack)
	rapid.Check(t, func(t *rapid.T) {
		asOf := day(rapid.SampledFrom([]string{"2022-10-01", "2023-03-01", "2023-06-12", "2024-01-01", "2024-08-23", "2025-12-01"}).Draw(t, "as_of"))
		lang := rapid.SampledFrom(profile.Languages).Draw(t, "lang")
		n := rapid.IntRange(1, 4).Draw(t, "members")
		var want []MemberResults
		b := appendResultsHeader(nil, n)
		for i := range n {
			p := genProfile(t, fmt.Sprintf("m%d", i))
			h := profile.Household{}
			if p.Household != nil {
				h = *p.Household
			}
			var progs []string
			if rapid.Bool().Draw(t, "some") {
				progs = rapid.SliceOfNDistinct(rapid.SampledFrom(pi.progIDs), 1, 3, rapid.ID).Draw(t, "programs")
			}
			rs := pack.ScreenLang(lang, p.Person, h, asOf, progs...)
			at := len(b)
			b = appendMemberResults(b, pi, p.ID, "child", rs)
			// Bulk runs encode outcomes without texts: the same bytes.
			os := pack.NewScreener(asOf, lang, progs...).Outcomes(&p.Person, &h)
			if bulk := appendMemberOutcomes(nil, pi, p.ID, "child", os); !bytes.Equal(bulk, b[at:]) {
				t.Fatalf("member %d: outcomes encode as %x, results as %x", i, bulk, b[at:])
			}
			want = append(want, MemberResults{MemberID: p.ID, Role: "child", Results: rs})
		}
		got, err := decodeResults(b, pi, profile.DateOf(asOf), lang)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, got, cmpopts.IgnoreUnexported(policy.CriterionResult{}), cmpopts.EquateEmpty()); diff != "" {
			t.Fatalf("results (-screened +stored):\n%s", diff)
		}
		if _, err := decodeResults(b[:len(b)-1], pi, profile.DateOf(asOf), lang); err == nil {
			t.Fatal("truncated results decoded")
		}
	})
}
