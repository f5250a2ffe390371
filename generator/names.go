package generator

import (
	"go/token"
	"strings"
	"unicode"
)

// Naming rules for generated identifiers (documented in the README):
//
//   - a name is split into words at every character that is not a letter or
//     digit and where lower case turns to upper case ("createChatCompletion",
//     "ai.chat.generate", "list-models");
//   - each word starts with an upper-case letter; words that are common
//     initialisms become all capitals ("id" → "ID", "api" → "API");
//   - constants get a prefix by kind: Scheme, Scope, Op;
//   - an operation without operationId is named from its method and path:
//     GET /v1/models/{model} → GetV1ModelsByModel;
//   - x-authgen-name on an operation or security scheme overrides the name;
//   - two items that still get the same name are an error for operations and
//     schemes (rename one with x-authgen-name); scopes, which cannot carry
//     extensions, get a numeric suffix in sorted order instead.

// initialisms are written in capitals inside identifiers, as golint does.
var initialisms = map[string]bool{
	"acl": true, "ai": true, "api": true, "ascii": true, "cpu": true, "css": true, "dns": true,
	"eof": true, "guid": true, "html": true, "http": true, "https": true, "id": true, "ip": true,
	"json": true, "jwt": true, "oidc": true, "qps": true, "ram": true, "rpc": true, "scim": true,
	"sla": true, "smtp": true, "sql": true, "ssh": true, "sso": true, "tcp": true, "tls": true,
	"ttl": true, "udp": true, "ui": true, "uid": true, "uri": true, "url": true, "utf8": true,
	"uuid": true, "vm": true, "xml": true, "xsrf": true, "xss": true,
}

// words splits s into its words.
func words(s string) []string {
	var out []string
	rs := []rune(s)
	start := -1
	flush := func(end int) {
		if start >= 0 && end > start {
			out = append(out, string(rs[start:end]))
		}
		start = -1
	}
	for i, r := range rs {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) {
			flush(i)
			continue
		}
		if start < 0 {
			start = i
			continue
		}
		prev := rs[i-1]
		switch {
		case unicode.IsLower(prev) && unicode.IsUpper(r):
			// chatCompletion: split before C.
			flush(i)
			start = i
		case unicode.IsUpper(prev) && unicode.IsUpper(r) && i+1 < len(rs) && unicode.IsLower(rs[i+1]):
			// HTTPServer: split before S.
			flush(i)
			start = i
		}
	}
	flush(len(rs))
	return out
}

// camel joins the words of s into an identifier part that starts with an
// upper-case letter when s starts with a letter.
func camel(s string) string {
	var b strings.Builder
	for _, w := range words(s) {
		lw := strings.ToLower(w)
		if initialisms[lw] {
			b.WriteString(strings.ToUpper(w))
			continue
		}
		rs := []rune(w)
		rs[0] = unicode.ToUpper(rs[0])
		b.WriteString(string(rs))
	}
	return b.String()
}

// exported returns prefix+camel(s), made a valid exported identifier: when
// the result would not start with an upper-case letter, or is a keyword,
// fallback is put in front.
func exported(prefix, s, fallback string) string {
	name := prefix + camel(s)
	if name == "" {
		return fallback
	}
	r := []rune(name)[0]
	if !unicode.IsUpper(r) || token.IsKeyword(name) {
		return fallback + name
	}
	return name
}

// derivedName names an operation that has no operationId from its method
// and path: GET /v1/models/{model} → GetV1ModelsByModel.
func derivedName(method, path string) string {
	var b strings.Builder
	b.WriteString(camel(strings.ToLower(method)))
	for _, seg := range strings.Split(path, "/") {
		if seg == "" {
			continue
		}
		if strings.HasPrefix(seg, "{") && strings.HasSuffix(seg, "}") && strings.Count(seg, "{") == 1 {
			b.WriteString("By")
		}
		b.WriteString(camel(seg))
	}
	return b.String()
}
