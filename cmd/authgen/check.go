package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/pflag"

	"github.com/authgen/authgen/generator"
)

// specFlags are the flags that change how a spec is read; generate, check
// and report share them.
type specFlags struct {
	drop, scopesAny *bool
	bearer          *[]string
}

func addSpecFlags(fs *pflag.FlagSet) specFlags {
	return specFlags{
		drop:      fs.Bool("drop-unsupported", false, "drop the security alternatives that use a scheme authgen cannot enforce\n(http digest, mutualTLS, ...) instead of failing; never drops a scheme from an AND"),
		scopesAny: fs.Bool("scopes-any", false, "read every requirement's scope list as \"any one of\" instead of \"all of\"\n(per requirement, operation or document: x-authgen-scopes: any|all)"),
		bearer:    fs.StringSlice("bearer", nil, "treat the named apiKey scheme (an Authorization header) as http bearer;\nrepeatable (per scheme: x-authgen-bearer: true)"),
	}
}

func (f specFlags) config() generator.Config {
	return generator.Config{
		DropUnsupported: *f.drop,
		ScopesAny:       *f.scopesAny,
		BearerSchemes:   *f.bearer,
		ReadFile:        os.ReadFile,
	}
}

func runCheck(args []string, stdout, stderr io.Writer) int {
	fs := pflag.NewFlagSet("authgen check", pflag.ContinueOnError)
	fs.SetOutput(stderr)
	format := fs.String("format", "text", "output format: text or json")
	strict := fs.Bool("strict", false, "exit 1 on warnings too")
	sf := addSpecFlags(fs)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: authgen check [flags] SPEC\n\n"+
			"Lints the security of the OpenAPI document SPEC: what generate would refuse, and what\n"+
			"it would accept but deserves a look (operations without security, API keys in query\n"+
			"strings, unsatisfiable requirements, unused or undeclared scopes, plain-http servers).\n"+
			"Each finding names its file:line:col, spec path and rule. Exit 1 on errors (and on\n"+
			"warnings with --strict), 0 otherwise.\n\nFlags:\n%s", fs.FlagUsages())
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return 0
		}
		fmt.Fprintf(stderr, "authgen check: %v\nRun 'authgen check --help' for usage.\n", err)
		return 2
	}
	if fs.NArg() != 1 || (*format != "text" && *format != "json") {
		fmt.Fprintln(stderr, "authgen check: need exactly one SPEC and --format text or json")
		return 2
	}
	data, err := os.ReadFile(fs.Arg(0))
	if err != nil {
		fmt.Fprintf(stderr, "authgen: %v\n", err)
		return 1
	}
	findings := generator.Check(data, fs.Arg(0), sf.config())
	errs, warns := 0, 0
	for _, f := range findings {
		if f.Warning {
			warns++
		} else {
			errs++
		}
	}
	if *format == "json" {
		type finding struct {
			File     string `json:"file"`
			Line     int    `json:"line"`
			Column   int    `json:"column"`
			Path     string `json:"path,omitempty"`
			Severity string `json:"severity"`
			Rule     string `json:"rule,omitempty"`
			Message  string `json:"message"`
		}
		list := make([]finding, 0, len(findings))
		for _, f := range findings {
			sev := "error"
			if f.Warning {
				sev = "warning"
			}
			list = append(list, finding{f.File, f.Line, f.Col, f.Path, sev, f.Code, f.Message})
		}
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		enc.Encode(list)
	} else {
		for _, f := range findings {
			fmt.Fprintln(stdout, f)
		}
		fmt.Fprintf(stdout, "%d error(s), %d warning(s)\n", errs, warns)
	}
	if errs > 0 || (*strict && warns > 0) {
		return 1
	}
	return 0
}
