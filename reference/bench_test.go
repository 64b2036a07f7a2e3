package reference

import (
	"testing"
	"time"
)

// BenchmarkParse measures the one-time cost of decoding and validating the
// embedded data, time zones included.
func BenchmarkParse(b *testing.B) {
	var entries int
	for b.Loop() {
		t, err := parse(dataFS)
		if err != nil {
			b.Fatal(err)
		}
		entries = len(t.countries) + len(t.subdivisions) + len(t.languages) + len(t.ports) + len(t.offices)
	}
	b.ReportMetric(float64(entries), "entries")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(entries), "ns/entry")
}

func BenchmarkCountry(b *testing.B) {
	codes := []string{"US", "mx", "Ve", "ht", "XK"}
	mustLoad()
	for b.Loop() {
		for _, c := range codes {
			Country(c)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(codes)), "ns/lookup")
}

func BenchmarkLocation(b *testing.B) {
	codes := []string{"POE-SYS", "smo-gua", "POE-BRO", "SMO-XXX"}
	mustLoad()
	for b.Loop() {
		for _, c := range codes {
			Location(c)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(codes)), "ns/lookup")
}

func BenchmarkCountries(b *testing.B) {
	mustLoad()
	for b.Loop() {
		if len(Countries()) != 249 {
			b.Fatal("want 249 countries")
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N), "ns/list")
}

func BenchmarkZone(b *testing.B) {
	l, _ := Location("POE-SYS")
	var z *time.Location
	for b.Loop() {
		z, _ = l.Zone()
	}
	if z == nil {
		b.Fatal("no zone")
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N), "ns/zone")
}
