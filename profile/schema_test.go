package profile_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/danielgtaylor/huma/v2"
	"github.com/google/go-cmp/cmp"

	"github.com/senda-platform/senda/profile"
)

var update = flag.Bool("update", false, "rewrite docs/profile.schema.json from the Go types")

const schemaFile = "../docs/profile.schema.json"

// generateSchema builds the JSON Schema 2020-12 document of a screening
// profile from the Go types, through huma's schema registry.
func generateSchema(t *testing.T) []byte {
	t.Helper()
	reg := huma.NewMapRegistry("#/components/schemas/", huma.DefaultSchemaNamer)
	root := reg.Schema(reflect.TypeOf(profile.Profile{}), true, "")
	// huma leaves null out of the enum of a nullable field; JSON Schema
	// needs it there for null ("I don't know") to validate.
	for _, s := range reg.Map() {
		for _, p := range s.Properties {
			if p.Nullable && p.Enum != nil {
				p.Enum = append(p.Enum, nil)
			}
		}
	}
	defs, err := json.Marshal(reg.Map())
	if err != nil {
		t.Fatal(err)
	}
	rootJSON, err := json.Marshal(root)
	if err != nil {
		t.Fatal(err)
	}
	fix := func(b []byte) json.RawMessage {
		return json.RawMessage(strings.ReplaceAll(string(b), "#/components/schemas/", "#/$defs/"))
	}
	var rootRef struct {
		Ref string `json:"$ref"`
	}
	if err := json.Unmarshal(fix(rootJSON), &rootRef); err != nil {
		t.Fatal(err)
	}
	doc := struct {
		Schema      string          `json:"$schema"`
		ID          string          `json:"$id"`
		Title       string          `json:"title"`
		Description string          `json:"description"`
		Ref         string          `json:"$ref"`
		Defs        json.RawMessage `json:"$defs"`
	}{
		Schema: "https://json-schema.org/draft/2020-12/schema",
		ID:     "https://github.com/senda-platform/senda/docs/profile.schema.json",
		Title:  "Senda screening profile",
		Description: "One person to screen and, optionally, their household. Every field but id may be " +
			"left out or null, meaning 'not answered / I don't know'; an empty list means 'none'. " +
			"Generated from the Go types of package profile; do not edit.",
		Ref:  rootRef.Ref,
		Defs: fix(defs),
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(doc); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestSchemaFileMatchesTypes(t *testing.T) {
	got := generateSchema(t)
	if *update {
		if err := os.WriteFile(schemaFile, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(schemaFile)
	if err != nil {
		t.Fatalf("read %s: %v (run go test ./profile -run TestSchemaFileMatchesTypes -update)", schemaFile, err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s differs from the Go types (-file +generated); run with -update:\n%s", schemaFile, diff)
	}
}

func TestSchemaShape(t *testing.T) {
	var doc struct {
		Ref  string `json:"$ref"`
		Defs map[string]struct {
			Required   []string                   `json:"required"`
			Properties map[string]json.RawMessage `json:"properties"`
		} `json:"$defs"`
	}
	if err := json.Unmarshal(generateSchema(t), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Ref != "#/$defs/Profile" {
		t.Errorf("got $ref %q, want #/$defs/Profile", doc.Ref)
	}
	p := doc.Defs["Profile"]
	if diff := cmp.Diff([]string{"id"}, p.Required); diff != "" {
		t.Errorf("Profile required fields (-want +got):\n%s", diff)
	}
	for _, name := range []string{"id", "nationality", "birth_date", "household", "irregular_entries", "us_supporter_with_i134a"} {
		if _, ok := p.Properties[name]; !ok {
			t.Errorf("Profile has no property %q", name)
		}
	}
	var bd struct {
		Type []string `json:"type"`
	}
	if err := json.Unmarshal(p.Properties["passport_expiry_date"], &bd); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"string", "null"}, bd.Type); diff != "" {
		t.Errorf("passport_expiry_date must be nullable (-want +got):\n%s", diff)
	}
}
