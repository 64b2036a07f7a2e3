package config

import (
	"strings"
	"testing"
	"time"
)

func TestDefaultIsValid(t *testing.T) {
	c := Default()
	if err := c.Validate(); err != nil {
		t.Fatalf("the defaults do not validate: %v", err)
	}
}

// Each bad setting is refused with a message that names its flag and says
// what to write instead; every problem is reported at once.
func TestValidateNamesTheFlag(t *testing.T) {
	tests := []struct {
		name string
		set  func(*Config)
		flag string
	}{
		{"database url", func(c *Config) { c.DatabaseURL = "mysql://db/senda" }, "--database-url"},
		{"empty data", func(c *Config) { c.DataDir = " " }, "--data"},
		{"addr", func(c *Config) { c.Addr = "8080" }, "--addr"},
		{"webhook", func(c *Config) { c.WebhookURL = "ftp://x" }, "--webhook-url"},
		{"zone", func(c *Config) { c.WindowZone = "Nowhere/Town" }, "--window-zone"},
		{"local zone", func(c *Config) { c.WindowZone = "Local" }, "--window-zone"},
		{"opens", func(c *Config) { c.WindowOpens = "12h" }, "--window-opens"},
		{"closes", func(c *Config) { c.WindowCloses = "24:00" }, "--window-closes"},
		{"one digit hour", func(c *Config) { c.WindowOpens = "9:00" }, "--window-opens"},
		{"closes before opens", func(c *Config) { c.WindowOpens, c.WindowCloses = "13:00", "12:59" }, "--window-closes must be later"},
		{"lead days", func(c *Config) { c.WindowLeadDays = 61 }, "--window-lead-days"},
		{"confirm window", func(c *Config) { c.ConfirmWindow = 200 * time.Hour }, "--confirm-window"},
		{"priority share", func(c *Config) { c.PriorityShareBP = -1 }, "--priority-share-bp"},
		{"beacon", func(c *Config) { c.BeaconURL = "api.drand.sh" }, "--beacon-url"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Default()
			tt.set(&c)
			err := c.Validate()
			if err == nil || !strings.Contains(err.Error(), tt.flag) {
				t.Fatalf("got %v, want an error naming %s", err, tt.flag)
			}
		})
	}
	c := Default()
	c.Addr, c.WindowZone, c.BeaconURL = "x", "x", "x"
	if err := c.Validate(); err == nil || strings.Count(err.Error(), "\n") != 2 {
		t.Fatalf("got %v, want the three problems at once", err)
	}
}

// Whatever is typed, Validate answers without panicking, and a setting it
// accepts is one the appointment window can use.
func FuzzValidate(f *testing.F) {
	f.Add("America/New_York", "12:00", "23:59", "https://api.drand.sh/x", 1)
	f.Add("", "", "", "", 0)
	f.Add("../../etc/passwd", "25:61", "00:00", "http://", -5)
	f.Fuzz(func(t *testing.T, zone, opens, closes, beacon string, lead int) {
		c := Default()
		c.WindowZone, c.WindowOpens, c.WindowCloses, c.BeaconURL, c.WindowLeadDays = zone, opens, closes, beacon, lead
		if c.Validate() != nil {
			return
		}
		o, ok1 := minutes(c.WindowOpens)
		cl, ok2 := minutes(c.WindowCloses)
		if (c.WindowOpens != "" || c.WindowCloses != "") && (!ok1 || !ok2 || cl <= o) {
			t.Fatalf("accepted a window from %q to %q", opens, closes)
		}
		if lead < 0 || lead > 60 {
			t.Fatalf("accepted lead days %d", lead)
		}
	})
}
