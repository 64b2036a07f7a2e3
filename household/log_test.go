package household

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
)

func TestLogsCarryNoPersonalData(t *testing.T) {
	h := Household{ID: "h1", Receipt: "MX-0000001-A", Members: []Member{{ID: "m1", Relationship: "principal", GivenNames: "María José",
		Surnames: []string{"Pérez"}, BirthDate: "1990-05-17", Phone: "+5216561234567", Documents: []Document{{Type: "passport", Number: "V12345678"}}}}}
	var buf bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&buf, nil))
	log.Info("saved", "household", h, "member", h.Members[0], "document", h.Members[0].Documents[0])
	for _, secret := range []string{"María", "Pérez", "1990-05-17", "+5216561234567", "V12345678"} {
		if strings.Contains(buf.String(), secret) {
			t.Errorf("log line contains %q: %s", secret, buf.String())
		}
	}
	if !strings.Contains(buf.String(), "MX-0000001-A") {
		t.Errorf("log line lacks the receipt: %s", buf.String())
	}
}
