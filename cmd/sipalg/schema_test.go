package main

import (
	"bytes"
	"os"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/sipalg/sipalg/analyze/reportschema"
)

// loadSchema compiles docs/report.schema.json (see [reportschema]).
func loadSchema(t testing.TB) *jsonschema.Schema {
	t.Helper()
	s, err := reportschema.Compile(reportschema.Path())
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// validateJSON validates b against the schema and returns the problems.
func validateJSON(s *jsonschema.Schema, b []byte) []string { return reportschema.Validate(s, b) }

// TestSchemaValidatorCatches proves the schema and validator reject what
// they must, so that a passing fixture means something.
func TestSchemaValidatorCatches(t *testing.T) {
	schema := loadSchema(t)
	good, err := os.ReadFile("../../fixtures/st530/expected.json")
	if err != nil {
		t.Skip("no golden report yet: ", err)
	}
	if errs := validateJSON(schema, good); len(errs) > 0 {
		t.Fatalf("the golden report does not validate: %v", errs)
	}
	for _, tc := range []struct {
		name, from, to, want string
	}{
		{"wrong type", `"schema_version": 1`, `"schema_version": "1"`, "/schema_version"},
		{"bad enum", `"mapping_behavior": "address-and-port-dependent"`, `"mapping_behavior": "symmetric"`, "/nat/mapping_behavior"},
		{"missing required", `"matched_pairs"`, `"pairs_matched"`, `/clock: missing property 'matched_pairs'`},
		{"float for int", `"packets": 169`, `"packets": 169.5`, "/inputs/lan/packets"},
		{"bad address", `"lan": "192.168.1.10:4000"`, `"lan": "192.168.1.10"`, "/mappings/0/lan"},
		{"bad time", `"first_seen": "2026-01-15T10:00:03.425Z"`, `"first_seen": "yesterday"`, "/mappings/0/first_seen"},
		{"undeclared field", `"dropped_inbound": 0`, `"dropped_inbound": 0, "undocumented": 1`, "'undocumented' not allowed"},
		{"null where not nullable", `"expired": false`, `"expired": null`, "/mappings/0/expired"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bad := bytes.Replace(good, []byte(tc.from), []byte(tc.to), 1)
			if bytes.Equal(bad, good) {
				t.Fatalf("%q not in the golden report", tc.from)
			}
			errs := validateJSON(schema, bad)
			if !strings.Contains(strings.Join(errs, "\n"), tc.want) {
				t.Errorf("errors %q, want one mentioning %q", errs, tc.want)
			}
		})
	}
}

// decodeJSON decodes keeping numbers exact (json.Number), as the
// validator does.
func decodeJSON(b []byte) (any, error) {
	return jsonschema.UnmarshalJSON(bytes.NewReader(b))
}
