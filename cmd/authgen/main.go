// Command authgen generates typed Go auth middleware from the security
// schemes and requirements of an OpenAPI document.
//
//	authgen generate [flags] SPEC
//	authgen version
//
// Run "authgen help" or "authgen generate --help" for the flags.
package main

import "os"

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}
