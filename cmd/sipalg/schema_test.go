package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"
)

// This file holds a validator for the subset of JSON Schema (draft
// 2020-12) docs/report.schema.json uses, and the tests that hold the
// report to it. A schema keyword outside the subset is an error, so the
// schema cannot quietly say more than the test checks.
//
// Why not a library (2026-11): the well-kept Go validators pull in more
// code than this file, for keywords the schema does not use.

// schemaKeywords are the keywords the validator understands; annotations
// (title, description...) are accepted and ignored.
func schemaKeywords() map[string]bool {
	return map[string]bool{
		"$schema": true, "$id": true, "$defs": true, "$ref": true, "title": true, "description": true,
		"type": true, "properties": true, "required": true, "additionalProperties": true, "items": true,
		"enum": true, "const": true, "minimum": true, "maximum": true, "pattern": true, "format": true, "anyOf": true,
	}
}

type schemaValidator struct {
	root map[string]any
	// strict also reports object properties no schema declares: the
	// published schema allows them (fields may be added), but every field
	// sipalg writes must be documented.
	strict bool
	errs   []string
}

func loadSchema(t *testing.T) map[string]any {
	t.Helper()
	b, err := os.ReadFile("../../docs/report.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	var s map[string]any
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatalf("docs/report.schema.json is not JSON: %v", err)
	}
	return s
}

// decodeJSON decodes keeping numbers exact, so integers can be told from
// other numbers.
func decodeJSON(b []byte) (any, error) {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, err
	}
	return v, nil
}

// validateJSON validates b against the schema and returns the problems.
func validateJSON(schema map[string]any, b []byte, strict bool) []string {
	inst, err := decodeJSON(b)
	if err != nil {
		return []string{"not JSON: " + err.Error()}
	}
	v := &schemaValidator{root: schema, strict: strict}
	v.validate("", schema, inst)
	return v.errs
}

func (v *schemaValidator) fail(path, format string, args ...any) {
	if path == "" {
		path = "/"
	}
	v.errs = append(v.errs, path+": "+fmt.Sprintf(format, args...))
}

func (v *schemaValidator) resolve(ref string) (any, bool) {
	name, ok := strings.CutPrefix(ref, "#/$defs/")
	if !ok {
		return nil, false
	}
	defs, _ := v.root["$defs"].(map[string]any)
	s, ok := defs[name]
	return s, ok
}

// matches reports whether inst is valid against s, without recording
// errors (for anyOf).
func (v *schemaValidator) matches(s, inst any) bool {
	sub := &schemaValidator{root: v.root}
	sub.validate("", s, inst)
	return len(sub.errs) == 0
}

func jsonType(inst any) string {
	switch x := inst.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case string:
		return "string"
	case json.Number:
		f, err := x.Float64()
		if err == nil && f == math.Trunc(f) {
			return "integer"
		}
		return "number"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return fmt.Sprintf("%T", inst)
}

func typeOK(want, got string) bool {
	return want == got || (want == "number" && got == "integer")
}

func (v *schemaValidator) validate(path string, schemaV, inst any) {
	if b, ok := schemaV.(bool); ok {
		if !b {
			v.fail(path, "no value is allowed here")
		}
		return
	}
	s, ok := schemaV.(map[string]any)
	if !ok {
		v.fail(path, "schema is neither an object nor a boolean")
		return
	}
	kw := schemaKeywords()
	for k := range s {
		if !kw[k] {
			v.fail(path, "schema keyword %q is not supported by the test's validator", k)
		}
	}
	if ref, ok := s["$ref"].(string); ok {
		target, ok := v.resolve(ref)
		if !ok {
			v.fail(path, "unresolvable $ref %q", ref)
			return
		}
		v.validate(path, target, inst)
	}
	if alts, ok := s["anyOf"].([]any); ok {
		matched := false
		for _, a := range alts {
			if v.matches(a, inst) {
				matched = true
				if v.strict {
					v.validate(path, a, inst) // for the undeclared-property check
				}
				break
			}
		}
		if !matched {
			v.fail(path, "%s matches none of anyOf", short(inst))
		}
	}
	got := jsonType(inst)
	if t, ok := s["type"]; ok {
		var types []string
		switch x := t.(type) {
		case string:
			types = []string{x}
		case []any:
			for _, e := range x {
				types = append(types, fmt.Sprint(e))
			}
		}
		okType := false
		for _, w := range types {
			okType = okType || typeOK(w, got)
		}
		if !okType {
			v.fail(path, "type %s, want %s", got, strings.Join(types, " or "))
			return
		}
	}
	if c, ok := s["const"]; ok && !jsonEqual(c, inst) {
		v.fail(path, "%s, want %v", short(inst), c)
	}
	if e, ok := s["enum"].([]any); ok {
		found := false
		for _, x := range e {
			found = found || jsonEqual(x, inst)
		}
		if !found {
			v.fail(path, "%s is not one of %v", short(inst), e)
		}
	}
	if n, ok := inst.(json.Number); ok {
		f, _ := n.Float64()
		if m, ok := s["minimum"].(float64); ok && f < m {
			v.fail(path, "%v below the minimum %v", n, m)
		}
		if m, ok := s["maximum"].(float64); ok && f > m {
			v.fail(path, "%v above the maximum %v", n, m)
		}
	}
	if str, ok := inst.(string); ok {
		if p, ok := s["pattern"].(string); ok {
			re, err := regexp.Compile(p)
			if err != nil {
				v.fail(path, "bad pattern %q: %v", p, err)
			} else if !re.MatchString(str) {
				v.fail(path, "%q does not match %s", str, p)
			}
		}
		if f, ok := s["format"].(string); ok {
			if f != "date-time" {
				v.fail(path, "format %q is not supported by the test's validator", f)
			} else if _, err := time.Parse(time.RFC3339Nano, str); err != nil {
				v.fail(path, "%q is not an RFC 3339 date-time", str)
			}
		}
	}
	if arr, ok := inst.([]any); ok {
		if items, ok := s["items"]; ok {
			for i, e := range arr {
				v.validate(fmt.Sprintf("%s/%d", path, i), items, e)
			}
		}
	}
	if obj, ok := inst.(map[string]any); ok {
		v.object(path, s, obj)
	}
}

func (v *schemaValidator) object(path string, s map[string]any, obj map[string]any) {
	props, _ := s["properties"].(map[string]any)
	if req, ok := s["required"].([]any); ok {
		for _, r := range req {
			if _, ok := obj[fmt.Sprint(r)]; !ok {
				v.fail(path, "required property %q missing", r)
			}
		}
	}
	keys := make([]string, 0, len(obj))
	for k := range obj {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		sub := path + "/" + k
		if ps, ok := props[k]; ok {
			v.validate(sub, ps, obj[k])
			continue
		}
		if ap, ok := s["additionalProperties"]; ok {
			v.validate(sub, ap, obj[k])
			continue
		}
		// Properties declared through $ref or anyOf are checked there.
		if v.strict && props != nil {
			v.fail(sub, "property not declared in docs/report.schema.json")
		}
	}
}

func jsonEqual(a, b any) bool {
	ja, err1 := json.Marshal(a)
	jb, err2 := json.Marshal(b)
	return err1 == nil && err2 == nil && bytes.Equal(ja, jb)
}

func short(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return shorten(string(b), 60)
}

// TestSchemaValidatorCatches proves the validator rejects what it must,
// so that a passing fixture means something.
func TestSchemaValidatorCatches(t *testing.T) {
	schema := loadSchema(t)
	good, err := os.ReadFile("../../fixtures/st530/expected.json")
	if err != nil {
		t.Skip("no golden report yet: ", err)
	}
	if errs := validateJSON(schema, good, true); len(errs) > 0 {
		t.Fatalf("the golden report does not validate: %v", errs)
	}
	for _, tc := range []struct {
		name, from, to, want string
	}{
		{"wrong type", `"schema_version": 1`, `"schema_version": "1"`, "/schema_version"},
		{"bad enum", `"mapping_behavior": "address-and-port-dependent"`, `"mapping_behavior": "symmetric"`, "/nat/mapping_behavior"},
		{"missing required", `"matched_pairs"`, `"pairs_matched"`, `required property "matched_pairs"`},
		{"float for int", `"packets": 169`, `"packets": 169.5`, "/inputs/lan/packets"},
		{"bad address", `"lan": "192.168.1.10:4000"`, `"lan": "192.168.1.10"`, "/mappings/0/lan"},
		{"bad time", `"first_seen": "2026-01-15T10:00:03.425Z"`, `"first_seen": "yesterday"`, "/mappings/0/first_seen"},
		{"undeclared field", `"dropped_inbound": 0`, `"dropped_inbound": 0, "undocumented": 1`, "not declared"},
		{"null where not nullable", `"expired": false`, `"expired": null`, "/mappings/0/expired"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bad := bytes.Replace(good, []byte(tc.from), []byte(tc.to), 1)
			if bytes.Equal(bad, good) {
				t.Fatalf("%q not in the golden report", tc.from)
			}
			errs := validateJSON(schema, bad, true)
			if !strings.Contains(strings.Join(errs, "\n"), tc.want) {
				t.Errorf("errors %q, want one mentioning %q", errs, tc.want)
			}
		})
	}
}
