package main

// Regression tests for findings of a review of the CLI: each failed
// before its fix.

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const reviewSpec = `openapi: 3.0.3
info: {title: t, version: "1"}
paths:
  /a: {get: {operationId: a, security: [{k: []}]}}
components: {securitySchemes: {k: {type: apiKey, in: header, name: X}}}
`

// keysEnv.open wraps redis.ParseURL's error, which for a URL that net/url
// cannot parse quotes the whole URL, password included.
func TestReviewRedisPasswordInError(t *testing.T) {
	const password = "hunter2-XYZZY"
	code, out, errs := runCLI(t, "keys", "list", "--redis", "redis://:"+password+"@localhost:badport/0")
	if code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	if strings.Contains(out+errs, password) {
		t.Errorf("the Redis password is printed: %q", out+errs)
	}
}

// writeFile renames a temporary file over the output, whatever it is: a
// symlink is replaced by a regular file, and as root `-o /dev/null`
// replaces the device node with a regular file.
func TestReviewWriteFileReplacesSymlink(t *testing.T) {
	dir := t.TempDir()
	spec := filepath.Join(dir, "openapi.yaml")
	if err := os.WriteFile(spec, []byte(reviewSpec), 0o644); err != nil {
		t.Fatal(err)
	}
	target := filepath.Join(dir, "real_gen.go")
	if err := os.WriteFile(target, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link_gen.go")
	if err := os.Symlink(target, link); err != nil {
		t.Skip(err)
	}
	if code, _, errs := runCLI(t, "generate", "-p", "api", "-o", link, spec); code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	fi, err := os.Lstat(link)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode()&os.ModeSymlink == 0 {
		t.Errorf("the symlink %s was replaced by a regular file; its target was not updated", link)
	}
}

// "_" is an identifier, but not a valid package name.
func TestReviewBlankPackageName(t *testing.T) {
	dir := t.TempDir()
	spec := filepath.Join(dir, "openapi.yaml")
	if err := os.WriteFile(spec, []byte(reviewSpec), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, _ := runCLI(t, "generate", "-p", "_", "-o", "-", spec)
	if code != 2 || strings.Contains(out, "package _") {
		t.Errorf("exit %d; want 2 and no `package _` output", code)
	}
}

// pflag with ContinueOnError returns the parse error without printing it;
// token, keys and version then exit 2 silently.
func TestReviewFlagErrorsArePrinted(t *testing.T) {
	for _, args := range [][]string{
		{"token", "--bogus"},
		{"keys", "list", "--bogus"},
		{"keys", "new", "--bogus"},
		{"version", "--bogus"},
	} {
		code, out, errs := runCLI(t, args...)
		if code != 2 || !strings.Contains(out+errs, "bogus") {
			t.Errorf("authgen %v: exit %d, output %q; want exit 2 naming the unknown flag", args, code, out+errs)
		}
	}
}
