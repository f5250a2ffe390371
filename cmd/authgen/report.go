package main

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/pflag"

	"github.com/authgen/authgen/generator"
)

func runReport(args []string, stdout, stderr io.Writer) int {
	fs := pflag.NewFlagSet("authgen report", pflag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.StringP("output", "o", "-", "file to write, or - for standard output")
	sf := addSpecFlags(fs)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: authgen report [flags] SPEC\n\n"+
			"Writes a Markdown security report of SPEC: the operations reachable without\n"+
			"credentials first, then every operation with its alternatives and scopes, every\n"+
			"scope with the operations it unlocks, the schemes, and the findings of check.\n\nFlags:\n%s", fs.FlagUsages())
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return 0
		}
		fmt.Fprintf(stderr, "authgen report: %v\nRun 'authgen report --help' for usage.\n", err)
		return 2
	}
	if fs.NArg() != 1 {
		fmt.Fprintln(stderr, "authgen report: need exactly one SPEC")
		return 2
	}
	data, err := os.ReadFile(fs.Arg(0))
	if err != nil {
		fmt.Fprintf(stderr, "authgen: %v\n", err)
		return 1
	}
	md, err := generator.Report(data, fs.Arg(0), sf.config())
	if err != nil {
		printProblems(stderr, err)
		return 1
	}
	if *out == "-" {
		_, err = stdout.Write(md)
	} else {
		err = writeFile(*out, md)
	}
	if err != nil {
		fmt.Fprintf(stderr, "authgen: %v\n", err)
		return 1
	}
	return 0
}
