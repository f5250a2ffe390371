package authrt

import (
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"
)

// found says whether a place in the request holds a credential.
type found uint8

const (
	absent    found = iota // nothing there
	present                // one value
	malformed              // duplicated, or unusable
)

// readPlace returns the raw value at p: the header, query parameter or
// cookie. It never allocates for headers; query and cookie values are only
// unescaped or copied when present.
func readPlace(r *http.Request, p place) (string, found) {
	switch p.in {
	case InHeader:
		vs := r.Header[p.name]
		switch len(vs) {
		case 0:
			return "", absent
		case 1:
			v := strings.TrimSpace(vs[0])
			if v == "" {
				return "", absent
			}
			return v, present
		}
		return "", malformed
	case InQuery:
		return queryValue(r.URL.RawQuery, p.name)
	case InCookie:
		return cookieValue(r.Header["Cookie"], p.name)
	}
	return "", absent
}

// bearerToken takes the token out of an Authorization header value. The
// auth-scheme word is case-insensitive (RFC 7235); anything but "Bearer"
// means the header holds no bearer credential.
func bearerToken(v string) (string, found) {
	word, token, _ := strings.Cut(v, " ")
	if tabSeparated(word, "Bearer") {
		return "", malformed
	}
	if !strings.EqualFold(word, "Bearer") {
		return "", absent
	}
	token = strings.TrimLeft(token, " ")
	if token == "" || !tokenChars(token) {
		return "", malformed
	}
	return token, present
}

// tabSeparated reports whether word is scheme followed by a tab: RFC 7235
// separates the auth-scheme from its credential with spaces only, so this
// is a malformed credential of that scheme, not the absence of one (which
// would let an anonymous alternative ignore it).
func tabSeparated(word, scheme string) bool {
	w, _, tab := strings.Cut(word, "\t")
	return tab && strings.EqualFold(w, scheme)
}

// tokenChars reports whether a bearer token has no space, tab, comma or
// DEL: one credential, not a list. It is on the hot path of every bearer
// request, where tokens run to kilobytes, so it uses IndexByte's vectorised
// scans; other control characters never get here (net/http refuses them in
// header values).
func tokenChars(t string) bool {
	return strings.IndexByte(t, ' ') < 0 && strings.IndexByte(t, '\t') < 0 &&
		strings.IndexByte(t, ',') < 0 && strings.IndexByte(t, 0x7f) < 0
}

// basicCredential takes "user-id:password" out of an Authorization header
// value (RFC 7617). Anything but "Basic" means no basic credential; bad
// base64, a missing colon, control characters or invalid UTF-8 make it
// malformed.
func basicCredential(v string) (string, found) {
	word, b64, _ := strings.Cut(v, " ")
	if tabSeparated(word, "Basic") {
		return "", malformed
	}
	if !strings.EqualFold(word, "Basic") {
		return "", absent
	}
	b64 = strings.TrimLeft(b64, " ")
	if b64 == "" || len(b64) > 4096 {
		return "", malformed
	}
	dec, err := base64.StdEncoding.Strict().DecodeString(b64)
	if err != nil || !utf8.Valid(dec) {
		return "", malformed
	}
	user, _, ok := strings.Cut(string(dec), ":")
	if !ok || user == "" {
		return "", malformed
	}
	for _, c := range dec {
		if c < 0x20 || c == 0x7f {
			return "", malformed
		}
	}
	return string(dec), present
}

// queryValue finds name in a raw query string. A name given twice is
// malformed: two keys on one request are never resolved by picking one.
func queryValue(raw, name string) (string, found) {
	var val string
	res := absent
	for raw != "" {
		var kv string
		kv, raw, _ = strings.Cut(raw, "&")
		k, v, _ := strings.Cut(kv, "=")
		if k != name {
			if !strings.ContainsAny(k, "%+") {
				continue
			}
			uk, err := url.QueryUnescape(k)
			if err != nil || uk != name {
				continue
			}
		}
		if res != absent {
			return "", malformed
		}
		uv, err := url.QueryUnescape(v)
		if err != nil {
			return "", malformed
		}
		val, res = uv, present
	}
	if res == present && val == "" {
		return "", absent
	}
	return val, res
}

// cookieValue finds the cookie name in the Cookie headers. A cookie sent
// twice is malformed.
func cookieValue(headers []string, name string) (string, found) {
	var val string
	res := absent
	for _, h := range headers {
		for h != "" {
			var part string
			part, h, _ = strings.Cut(h, ";")
			part = strings.TrimSpace(part)
			k, v, ok := strings.Cut(part, "=")
			// net/http trims the name ("session =x" is "session").
			if !ok || strings.TrimSpace(k) != name {
				continue
			}
			if res != absent {
				return "", malformed
			}
			if len(v) >= 2 && v[0] == '"' && v[len(v)-1] == '"' {
				v = v[1 : len(v)-1]
			}
			val, res = v, present
		}
	}
	if res == present && val == "" {
		return "", absent
	}
	return val, res
}
