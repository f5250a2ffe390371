package generator

import (
	"bytes"
	"fmt"
	"strings"
	"text/template"

	"github.com/authgen/authgen/runtime/authrt"
	"github.com/authgen/authgen/templates"
)

// reportTemplate is parsed once; the template is part of the binary.
var reportTemplate = template.Must(template.New("report").Funcs(template.FuncMap{
	"md":   mdEscape,
	"join": strings.Join,
}).Parse(templates.Report))

// reportOp is one operation as the report shows it.
type reportOp struct {
	ID, Method, Path, Security string
}

type reportScheme struct {
	Name, Type, Where string
	Uses              int
}

// Report renders the Markdown security report of a spec: every operation
// with its alternatives and scopes, every scope with the operations it
// unlocks, and the operations reachable without credentials first. The
// findings of Check are listed at the end.
func Report(spec []byte, name string, cfg Config) ([]byte, error) {
	m, _, err := buildModel(spec, name, cfg)
	if err != nil {
		return nil, err
	}
	data := struct {
		Title, Version, File, SpecVersion string
		BasePaths                         []string
		Operations, Public, Anonymous     []reportOp
		Undeclared, Refused               []reportOp
		Scopes                            []*scope
		Schemes                           []reportScheme
		Findings                          []Problem
	}{
		Title: m.Title, Version: Version, File: m.File, SpecVersion: m.Version, BasePaths: m.BasePaths, Scopes: m.Scopes,
	}
	if data.Title == "" {
		data.Title = m.File
	}
	for _, op := range m.Operations {
		r := reportOp{ID: op.ID, Method: op.Method, Path: op.Path, Security: securityText(op)}
		data.Operations = append(data.Operations, r)
		switch {
		case op.Public && !op.Declared && !m.DocDeclared:
			data.Undeclared = append(data.Undeclared, r)
		case op.Public:
			data.Public = append(data.Public, r)
		case len(op.Alternatives) == 0:
			data.Refused = append(data.Refused, r)
		case hasAnonymous(op):
			data.Anonymous = append(data.Anonymous, r)
		}
	}
	for _, s := range m.Schemes {
		data.Schemes = append(data.Schemes, reportScheme{Name: s.Name, Type: s.RawType, Where: credentialText(s), Uses: s.Uses})
	}
	data.Findings = Check(spec, name, cfg)
	for i := range data.Findings {
		data.Findings[i].File = m.File
	}
	var buf bytes.Buffer
	if err := reportTemplate.Execute(&buf, data); err != nil {
		return nil, fmt.Errorf("authgen: rendering the report: %w", err)
	}
	return buf.Bytes(), nil
}

func hasAnonymous(op *operation) bool {
	for _, a := range op.Alternatives {
		if len(a.Reqs) == 0 {
			return true
		}
	}
	return false
}

// securityText writes an operation's alternatives for a Markdown cell.
func securityText(op *operation) string {
	if op.Public {
		return "public"
	}
	if len(op.Alternatives) == 0 {
		return "**refused**: no usable alternative"
	}
	// A "|" (any-of scopes, or in a name) would end the table cell.
	return strings.ReplaceAll(alternativesText(op, "`"), "|", `\|`)
}

func credentialText(s *scheme) string {
	switch s.Type {
	case authrt.APIKey:
		return fmt.Sprintf("%s `%s`", s.In, s.Param)
	case authrt.HTTPBasic:
		return "`Authorization: Basic`"
	case 0:
		return "not supported"
	}
	return "`Authorization: Bearer`"
}

// mdEscape makes text safe inside a Markdown table cell.
func mdEscape(s string) string {
	s = strings.ReplaceAll(s, "\r", "")
	s = strings.ReplaceAll(s, "\n", " ")
	s = strings.ReplaceAll(s, "|", `\|`)
	s = strings.ReplaceAll(s, "`", "'")
	return s
}
