package authrt

import (
	"encoding/base64"
	"net/http"
	"testing"
)

func (f found) String() string {
	switch f {
	case absent:
		return "absent"
	case present:
		return "present"
	case malformed:
		return "malformed"
	}
	return "?"
}

func TestBearerToken(t *testing.T) {
	tests := []struct {
		in    string
		token string
		f     found
	}{
		{"Bearer abc", "abc", present},
		{"bearer abc", "abc", present},
		{"BEARER abc", "abc", present},
		{"BeArEr abc", "abc", present},
		{"Bearer  abc", "abc", present}, // several spaces after the word
		{"Bearer eyJ.eyJ.sig-_~+/=", "eyJ.eyJ.sig-_~+/=", present},
		{"Bearer", "", malformed},
		{"Bearer ", "", malformed},
		{"Bearer   ", "", malformed},
		{"Bearer abc def", "", malformed},
		{"Bearer abc,def", "", malformed},
		{"Bearer abc, Bearer def", "", malformed}, // two headers folded into one
		{"Bearer abc\tdef", "", malformed},
		{"Bearer abc ", "", malformed}, // readPlace trims; a trailing space here is inside the token
		// RFC 7235 separates the scheme word with spaces only; a tab there is
		// a malformed bearer credential, not the absence of one.
		{"Bearer\tabc", "", malformed},
		{"Bearer\t", "", malformed},
		{"", "", absent},
		{"Basic YWxhZGRpbjpvcGVuc2VzYW1l", "", absent},
		{"Bot abc", "", absent},
		{"Bearerabc", "", absent},
		{"Bearer,abc", "", absent},
		{"Token Bearer abc", "", absent},
		{"abc", "", absent},
	}
	for _, tt := range tests {
		token, f := bearerToken(tt.in)
		if token != tt.token || f != tt.f {
			t.Errorf("bearerToken(%q) = %q, %v; want %q, %v", tt.in, token, f, tt.token, tt.f)
		}
	}
}

func TestBasicCredential(t *testing.T) {
	b64 := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	tests := []struct {
		in   string
		cred string
		f    found
	}{
		{"Basic " + b64("aladdin:opensesame"), "aladdin:opensesame", present},
		{"basic " + b64("aladdin:opensesame"), "aladdin:opensesame", present},
		{"Basic " + b64("user:"), "user:", present},
		{"Basic " + b64("user:pa:ss"), "user:pa:ss", present},
		{"Basic " + b64("üser:pässword"), "üser:pässword", present},
		{"Basic", "", malformed},
		{"Basic " + b64("nocolon"), "", malformed},
		{"Basic " + b64(":password"), "", malformed},
		{"Basic " + b64("us\ner:pw"), "", malformed},
		{"Basic " + b64("user:pw\x7f"), "", malformed},
		{"Basic " + b64("user:\xff"), "", malformed},
		{"Basic " + b64("user:pw")[:5], "", malformed},
		{"Basic\t" + b64("aladdin:opensesame"), "", malformed},
		{"Basic !!!!", "", malformed},
		{"Bearer abc", "", absent},
		{"", "", absent},
	}
	for _, tt := range tests {
		cred, f := basicCredential(tt.in)
		if cred != tt.cred || f != tt.f {
			t.Errorf("basicCredential(%q) = %q, %v; want %q, %v", tt.in, cred, f, tt.cred, tt.f)
		}
	}
}

func TestQueryValue(t *testing.T) {
	tests := []struct {
		raw, name string
		val       string
		f         found
	}{
		{"api_key=k", "api_key", "k", present},
		{"a=1&api_key=k&b=2", "api_key", "k", present},
		{"api_key=k&", "api_key", "k", present},
		{"&&api_key=k", "api_key", "k", present},
		// Names are compared after unescaping, as net/url does.
		{"api%5Fkey=k", "api_key", "k", present},
		{"api%5fkey=k", "api_key", "k", present},
		{"api+key=k", "api key", "k", present},
		{"api%20key=k", "api key", "k", present},
		{"api_key%3D=k", "api_key=", "k", present},
		// Values are unescaped.
		{"api_key=a%2Bb", "api_key", "a+b", present},
		{"api_key=a+b", "api_key", "a b", present},
		{"api_key=a%3Db", "api_key", "a=b", present},
		{"api_key=a=b", "api_key", "a=b", present},
		// Given twice, in any spelling: malformed, never one of the two.
		{"api_key=a&api_key=b", "api_key", "", malformed},
		{"api_key=a&api_key=a", "api_key", "", malformed},
		{"api_key=a&api%5Fkey=b", "api_key", "", malformed},
		{"api+key=a&api%20key=b", "api key", "", malformed},
		{"api_key=&api_key=b", "api_key", "", malformed},
		{"api_key=a&api_key", "api_key", "", malformed},
		// A value that does not unescape is malformed; a name that does not
		// unescape is somebody else's parameter (net/url skips it too).
		{"api_key=%zz", "api_key", "", malformed},
		{"api_key=%", "api_key", "", malformed},
		{"api_key=a%2", "api_key", "", malformed},
		{"api%zz_key=x&api_key=k", "api_key", "k", present},
		{"api_key%=x&api_key=k", "api_key", "k", present},
		// Empty values are no credential.
		{"api_key=", "api_key", "", absent},
		{"api_key", "api_key", "", absent},
		{"", "api_key", "", absent},
		{"&&", "api_key", "", absent},
		{"api_keyx=1&xapi_key=2&API_KEY=3", "api_key", "", absent},
		// ';' is not a separator (net/url since Go 1.17): it is part of the
		// value.
		{"api_key=a;api_key=b", "api_key", "a;api_key=b", present},
	}
	for _, tt := range tests {
		val, f := queryValue(tt.raw, tt.name)
		if val != tt.val || f != tt.f {
			t.Errorf("queryValue(%q, %q) = %q, %v; want %q, %v", tt.raw, tt.name, val, f, tt.val, tt.f)
		}
	}
}

func TestCookieValue(t *testing.T) {
	tests := []struct {
		name    string
		headers []string
		val     string
		f       found
	}{
		{"one", []string{"session=abc"}, "abc", present},
		{"among others", []string{"a=1; session=abc; b=2"}, "abc", present},
		{"no space after ;", []string{"a=1;session=abc;b=2"}, "abc", present},
		{"quoted", []string{`session="abc"`}, "abc", present},
		{"lone quote kept", []string{`session="`}, `"`, present},
		{"surrounding whitespace", []string{"  session=abc  ; other=1"}, "abc", present},
		{"tabs", []string{"\tsession=abc\t;other=1"}, "abc", present},
		// net/http trims the cookie name: "session =abc" is the cookie
		// "session" to the application, so it must be to the guard.
		{"space before =", []string{"session =abc"}, "abc", present},
		{"tab before =", []string{"session\t=abc"}, "abc", present},
		// net/http keeps the space after '='; so does the guard.
		{"space after =", []string{"session= abc"}, " abc", present},
		{"value with '='", []string{"session=a=b"}, "a=b", present},
		{"in the second header", []string{"a=1", "session=x"}, "x", present},
		{"twice in one header", []string{"session=a; session=b"}, "", malformed},
		{"twice, same value", []string{"session=a; session=a"}, "", malformed},
		{"twice across headers", []string{"session=a", "b=2; session=b"}, "", malformed},
		{"twice, one with a spaced name", []string{"session=a; session =b"}, "", malformed},
		{"twice, one empty", []string{"session=; session=b"}, "", malformed},
		{"empty", []string{"session="}, "", absent},
		{"empty quoted", []string{`session=""`}, "", absent},
		{"no =", []string{"session"}, "", absent},
		{"other names", []string{"sessionx=1; xsession=2; Session=3"}, "", absent},
		{"no header", nil, "", absent},
		{"empty header", []string{""}, "", absent},
		{"only separators", []string{";;; ;"}, "", absent},
	}
	for _, tt := range tests {
		val, f := cookieValue(tt.headers, "session")
		if val != tt.val || f != tt.f {
			t.Errorf("%s: cookieValue(%q) = %q, %v; want %q, %v", tt.name, tt.headers, val, f, tt.val, tt.f)
		}
	}
}

func TestReadPlace(t *testing.T) {
	key := (&Scheme{Type: APIKey, In: InHeader, Param: "x-api-key"}).place()
	auth := (&Scheme{Type: HTTPBearer}).place()
	query := (&Scheme{Type: APIKey, In: InQuery, Param: "api_key"}).place()
	cookie := (&Scheme{Type: APIKey, In: InCookie, Param: "session"}).place()
	tests := []struct {
		name   string
		target string
		header []string
		p      place
		val    string
		f      found
	}{
		{"header, name canonicalised", "/", []string{"X-API-KEY", "k"}, key, "k", present},
		{"header trimmed", "/", []string{"X-Api-Key", "  k\t"}, key, "k", present},
		{"header blank", "/", []string{"X-Api-Key", "   "}, key, "", absent},
		{"header empty", "/", []string{"X-Api-Key", ""}, key, "", absent},
		{"header absent", "/", nil, key, "", absent},
		{"header twice", "/", []string{"X-Api-Key", "a", "X-Api-Key", "b"}, key, "", malformed},
		{"header twice, same value", "/", []string{"X-Api-Key", "a", "x-api-key", "a"}, key, "", malformed},
		{"header twice, one empty", "/", []string{"X-Api-Key", "", "X-Api-Key", "b"}, key, "", malformed},
		{"authorization", "/", []string{"Authorization", "Bearer t"}, auth, "Bearer t", present},
		{"authorization twice", "/", []string{"Authorization", "Bearer t", "Authorization", "Bearer u"}, auth, "", malformed},
		{"query", "/?api_key=q", nil, query, "q", present},
		{"query twice", "/?api_key=q&api_key=r", nil, query, "", malformed},
		{"cookie", "/", []string{"Cookie", "session=c"}, cookie, "c", present},
		{"cookie twice across headers", "/", []string{"Cookie", "session=c", "Cookie", "session=d"}, cookie, "", malformed},
		{"unknown place", "/", []string{"X-Api-Key", "k"}, place{}, "", absent},
	}
	for _, tt := range tests {
		val, f := readPlace(newRequest(http.MethodGet, tt.target, tt.header...), tt.p)
		if val != tt.val || f != tt.f {
			t.Errorf("%s: readPlace = %q, %v; want %q, %v", tt.name, val, f, tt.val, tt.f)
		}
	}
}

func TestSchemePlace(t *testing.T) {
	tests := []struct {
		s    Scheme
		want place
	}{
		{Scheme{Type: HTTPBearer}, place{InHeader, "Authorization"}},
		{Scheme{Type: OAuth2}, place{InHeader, "Authorization"}},
		{Scheme{Type: OpenIDConnect}, place{InHeader, "Authorization"}},
		{Scheme{Type: HTTPBasic}, place{InHeader, "Authorization"}},
		{Scheme{Type: APIKey, In: InHeader, Param: "authorization"}, place{InHeader, "Authorization"}},
		{Scheme{Type: APIKey, In: InHeader, Param: "x-api-key"}, place{InHeader, "X-Api-Key"}},
		{Scheme{Type: APIKey, In: InQuery, Param: "Key"}, place{InQuery, "Key"}},
		{Scheme{Type: APIKey, In: InCookie, Param: "Key"}, place{InCookie, "Key"}},
	}
	for _, tt := range tests {
		if got := tt.s.place(); got != tt.want {
			t.Errorf("%+v.place() = %+v, want %+v", tt.s, got, tt.want)
		}
	}
}

// TestReadPlaceHeaderDoesNotAllocate: the common case, one header, must
// cost no allocation.
func TestReadPlaceHeaderDoesNotAllocate(t *testing.T) {
	r := newRequest("GET", "/?api_key=q", "Authorization", "Bearer t", "Cookie", "a=1; session=c")
	p := (&Scheme{Type: HTTPBearer}).place()
	q := (&Scheme{Type: APIKey, In: InQuery, Param: "api_key"}).place()
	c := (&Scheme{Type: APIKey, In: InCookie, Param: "session"}).place()
	if n := testing.AllocsPerRun(100, func() {
		readPlace(r, p)
		readPlace(r, q)
		readPlace(r, c)
		bearerToken("Bearer t")
	}); n != 0 {
		t.Errorf("readPlace/bearerToken: %v allocations, want 0", n)
	}
}
