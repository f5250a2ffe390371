package main

import (
	"fmt"
	"io"
	"strings"
)

// command is one subcommand of the CLI.
type command struct {
	name    string
	summary string
	run     func(args []string, stdout, stderr io.Writer) int
}

func commands() []command {
	return []command{
		{"generate", "generate Go auth middleware from an OpenAPI document", runGenerate},
		{"check", "lint the security of an OpenAPI document", runCheck},
		{"report", "write a Markdown security report of an OpenAPI document", runReport},
		{"token", "mint a development JWT for curl and tests", runToken},
		{"keys", "mint, hash, rotate, revoke and list API keys (file or Redis store)", runKeys},
		{"version", "print the authgen and runtime versions", runVersion},
	}
}

// run executes the CLI with args (without the program name) and returns the
// exit code: 0 on success, 1 when the input has problems, 2 on usage errors.
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return 2
	}
	switch args[0] {
	case "help", "-h", "--help":
		if len(args) > 1 {
			return run([]string{args[1], "--help"}, stdout, stderr)
		}
		usage(stdout)
		return 0
	}
	for _, c := range commands() {
		if c.name == args[0] {
			return c.run(args[1:], stdout, stderr)
		}
	}
	fmt.Fprintf(stderr, "authgen: unknown command %q\n\n", args[0])
	usage(stderr)
	return 2
}

func usage(w io.Writer) {
	var b strings.Builder
	b.WriteString("authgen turns the security of an OpenAPI document into Go middleware.\n\n")
	b.WriteString("Usage:\n  authgen <command> [flags] [arguments]\n\nCommands:\n")
	for _, c := range commands() {
		fmt.Fprintf(&b, "  %-10s %s\n", c.name, c.summary)
	}
	b.WriteString("\nRun \"authgen <command> --help\" for a command's flags.\n")
	io.WriteString(w, b.String())
}
