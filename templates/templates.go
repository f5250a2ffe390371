// Package templates holds authgen's text artefacts that are not Go code,
// embedded into the binary: the Markdown security report.
package templates

import _ "embed"

// Report is the text/template of `authgen report`, executed with the
// generator's report data.
//
//go:embed report.md.tmpl
var Report string
