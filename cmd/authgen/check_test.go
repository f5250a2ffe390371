package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestCheckCLI runs `authgen check` on small specs in testdata: clean.yaml
// (no findings), warnings.yaml (warnings only) and errors.yaml (an error).
func TestCheckCLI(t *testing.T) {
	clean := filepath.Join("testdata", "clean.yaml")
	warnings := filepath.Join("testdata", "warnings.yaml")
	errs := filepath.Join("testdata", "errors.yaml")
	tests := []struct {
		name   string
		args   []string
		code   int
		stdout []string // substrings of stdout
		stderr string   // substring of stderr
	}{
		{"clean", []string{clean}, 0, []string{"0 error(s), 0 warning(s)"}, ""},
		{"warnings exit 0", []string{warnings}, 0, []string{
			"testdata/warnings.yaml:11:5: warning: paths./forgotten.get: GET /forgotten declares no security",
			"[no-security]", "[apikey-in-query]", "0 error(s), 2 warning(s)",
		}, ""},
		{"strict turns warnings into exit 1", []string{"--strict", warnings}, 1, []string{"0 error(s), 2 warning(s)"}, ""},
		{"strict on a clean spec", []string{"--strict", clean}, 0, nil, ""},
		{"errors exit 1", []string{errs}, 1, []string{
			`testdata/errors.yaml:7:19: paths./items.get.security[0].nope: unknown security scheme "nope"`, "1 error(s), 0 warning(s)",
		}, ""},
		{"missing file", []string{filepath.Join("testdata", "nope.yaml")}, 1, nil, "nope.yaml"},
		{"no spec", nil, 2, nil, "need exactly one SPEC"},
		{"two specs", []string{clean, warnings}, 2, nil, "need exactly one SPEC"},
		{"bad format", []string{"--format", "xml", clean}, 2, nil, "--format text or json"},
		{"unknown flag", []string{"--bogus", clean}, 2, nil, "unknown flag: --bogus"},
		{"help", []string{"--help"}, 0, nil, "Usage: authgen check"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := runCLI(t, append([]string{"check"}, tc.args...)...)
			if code != tc.code {
				t.Errorf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tc.code, stdout, stderr)
			}
			for _, want := range tc.stdout {
				if !strings.Contains(filepath.ToSlash(stdout), want) {
					t.Errorf("stdout lacks %q:\n%s", want, stdout)
				}
			}
			if !strings.Contains(stderr, tc.stderr) {
				t.Errorf("stderr lacks %q:\n%s", tc.stderr, stderr)
			}
		})
	}
}

// TestCheckCLIJSON pins the field names of --format json, which scripts
// and CI annotations read.
func TestCheckCLIJSON(t *testing.T) {
	for _, tc := range []struct {
		spec     string
		code     int
		severity string
		rule     string
	}{
		{"warnings.yaml", 0, "warning", "no-security"},
		{"errors.yaml", 1, "error", ""},
	} {
		code, stdout, stderr := runCLI(t, "check", "--format", "json", filepath.Join("testdata", tc.spec))
		if code != tc.code {
			t.Errorf("%s: exit %d, want %d (%s)", tc.spec, code, tc.code, stderr)
		}
		var list []map[string]any
		if err := json.Unmarshal([]byte(stdout), &list); err != nil || len(list) == 0 {
			t.Fatalf("%s: not a JSON list of findings (%v):\n%s", tc.spec, err, stdout)
		}
		f := list[0]
		var keys []string
		for k := range f {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		want := []string{"column", "file", "line", "message", "path", "rule", "severity"}
		if tc.rule == "" {
			want = slices.DeleteFunc(want, func(k string) bool { return k == "rule" })
		}
		if !slices.Equal(keys, want) {
			t.Errorf("%s: fields %v, want %v", tc.spec, keys, want)
		}
		if f["severity"] != tc.severity || tc.rule != "" && f["rule"] != tc.rule {
			t.Errorf("%s: severity %v rule %v, want %s %s", tc.spec, f["severity"], f["rule"], tc.severity, tc.rule)
		}
		if line, _ := f["line"].(float64); line <= 0 || f["file"] != filepath.Join("testdata", tc.spec) {
			t.Errorf("%s: file %v line %v", tc.spec, f["file"], f["line"])
		}
	}
}

// TestReportCLI writes a report with -o and to stdout, and refuses specs
// with errors and bad usage.
func TestReportCLI(t *testing.T) {
	out := filepath.Join(t.TempDir(), "report.md")
	code, _, stderr := runCLI(t, "report", "-o", out, filepath.Join("testdata", "warnings.yaml"))
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	md, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"# Security report: Warnings only",
		"## Reachable without credentials",
		"`forgotten`",
		"## Operations",
		"| `listItems` | GET | `/items` | `key` |",
		"## Scopes",
		"## Security schemes",
		"## Findings of `authgen check`",
		"`no-security`",
		"`apikey-in-query`",
	} {
		if !strings.Contains(string(md), want) {
			t.Errorf("report lacks %q:\n%s", want, md)
		}
	}
	code, stdout, _ := runCLI(t, "report", filepath.Join("testdata", "warnings.yaml"))
	if code != 0 || stdout != string(md) {
		t.Errorf("report to stdout: exit %d, differs from the -o file", code)
	}

	for _, tc := range []struct {
		args   []string
		code   int
		stderr string
	}{
		{[]string{filepath.Join("testdata", "errors.yaml")}, 1, `unknown security scheme "nope"`},
		{nil, 2, "need exactly one SPEC"},
		{[]string{"a.yaml", "b.yaml"}, 2, "need exactly one SPEC"},
		{[]string{"--bogus", "a.yaml"}, 2, "unknown flag: --bogus"},
	} {
		code, stdout, stderr := runCLI(t, append([]string{"report"}, tc.args...)...)
		if code != tc.code || !strings.Contains(stderr, tc.stderr) || stdout != "" {
			t.Errorf("report %v: exit %d, stdout %q, stderr %q; want exit %d, stderr containing %q", tc.args, code, stdout, stderr, tc.code, tc.stderr)
		}
	}
}
