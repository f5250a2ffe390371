package main

import (
	"errors"
	"fmt"
	"go/token"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/pflag"

	"github.com/authgen/authgen/generator"
)

func runGenerate(args []string, stdout, stderr io.Writer) int {
	fs := pflag.NewFlagSet("authgen generate", pflag.ContinueOnError)
	fs.SetOutput(stderr)
	pkg := fs.StringP("package", "p", "", "Go package name of the generated file\n(default: $GOPACKAGE under go generate, else the output directory's name, else \"api\")")
	out := fs.StringP("output", "o", "", "file to write, or - for standard output\n(default: <spec name>_auth_gen.go in the current directory)")
	sf := addSpecFlags(fs)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: authgen generate [flags] SPEC\n\n"+
			"Reads the OpenAPI document SPEC (3.0, 3.1 or Swagger 2.0; YAML or JSON) and writes\n"+
			"Go code that enforces its security schemes and requirements.\n\n"+
			"In a go:generate line:\n"+
			"  //go:generate go tool authgen generate openapi.yaml\n\nFlags:\n%s", fs.FlagUsages())
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return 0
		}
		fmt.Fprintf(stderr, "authgen generate: %v\nRun 'authgen generate --help' for usage.\n", err)
		return 2
	}
	if fs.NArg() != 1 {
		fmt.Fprintln(stderr, "authgen generate: need exactly one SPEC file")
		fs.Usage()
		return 2
	}
	specPath := fs.Arg(0)
	data, err := os.ReadFile(specPath)
	if err != nil {
		fmt.Fprintf(stderr, "authgen: %v\n", err)
		return 1
	}
	output := *out
	if output == "" {
		output = generator.OutputName(specPath)
	}
	cfg := sf.config()
	cfg.Package = packageName(*pkg, output)
	if !token.IsIdentifier(cfg.Package) || cfg.Package == "_" {
		fmt.Fprintf(stderr, "authgen: %q is not a valid Go package name\n", cfg.Package)
		return 2
	}
	res, err := generator.Generate(data, specPath, cfg)
	if res != nil {
		for _, w := range res.Warnings {
			fmt.Fprintln(stderr, w)
		}
	}
	if err != nil {
		printProblems(stderr, err)
		return 1
	}
	content := res.Files[0].Content
	if output == "-" {
		_, err = stdout.Write(content)
	} else {
		err = writeFile(output, content)
	}
	if err != nil {
		fmt.Fprintf(stderr, "authgen: %v\n", err)
		return 1
	}
	return 0
}

// printProblems prints each joined error on its own line.
func printProblems(w io.Writer, err error) {
	var joined interface{ Unwrap() []error }
	if errors.As(err, &joined) {
		for _, e := range joined.Unwrap() {
			fmt.Fprintln(w, e)
		}
		return
	}
	fmt.Fprintln(w, err)
}

// packageName picks the generated file's package: the flag, then
// $GOPACKAGE (set by go generate), then the output directory's name if it
// is an identifier, then "api".
func packageName(flag, output string) string {
	if flag != "" {
		return flag
	}
	if p := os.Getenv("GOPACKAGE"); p != "" {
		return strings.TrimSuffix(p, "_test")
	}
	if output != "-" {
		if abs, err := filepath.Abs(output); err == nil {
			dir := filepath.Base(filepath.Dir(abs))
			dir = strings.ReplaceAll(dir, "-", "")
			if token.IsIdentifier(dir) && strings.ToLower(dir) == dir && dir != "main" && dir != "_" {
				return dir
			}
		}
	}
	return "api"
}

// writeFile replaces name atomically: a failed run never leaves a
// half-written file behind.
func writeFile(name string, content []byte) error {
	// A symlink is followed, so that the link stays a link; a device or
	// pipe (-o /dev/stdout) is written in place, never replaced.
	if target, err := filepath.EvalSymlinks(name); err == nil {
		name = target
	}
	if fi, err := os.Stat(name); err == nil && !fi.Mode().IsRegular() {
		if fi.IsDir() {
			return fmt.Errorf("%s is a directory", name)
		}
		f, err := os.OpenFile(name, os.O_WRONLY, 0)
		if err != nil {
			return err
		}
		_, err = f.Write(content)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		return err
	}
	dir := filepath.Dir(name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, ".authgen-*.tmp")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(content); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), name)
}
