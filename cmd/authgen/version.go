package main

import (
	"fmt"
	"io"
	"runtime/debug"

	"github.com/spf13/pflag"

	"github.com/authgen/authgen/generator"
	"github.com/authgen/authgen/runtime/authrt"
)

func runVersion(args []string, stdout, stderr io.Writer) int {
	fs := pflag.NewFlagSet("authgen version", pflag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: authgen version\n\nPrints the generator version and the runtime's generated-code version range.")
	}
	if err := fs.Parse(args); err != nil {
		if err == pflag.ErrHelp {
			return 0
		}
		fmt.Fprintf(stderr, "authgen version: %v\n", err)
		return 2
	}
	v := generator.Version
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		v = bi.Main.Version
	}
	fmt.Fprintf(stdout, "authgen %s (generated code version %d, runtime supports %d-%d)\n",
		v, authrt.MaxVersion, authrt.MinVersion, authrt.MaxVersion)
	return 0
}
