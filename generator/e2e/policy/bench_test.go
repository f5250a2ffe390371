package policy

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// BenchmarkPolicy measures what a claim rule and an in-memory rate limit
// add to a request through the generated middleware: "plain" is the same
// request to an operation without them, in the same run.
func BenchmarkPolicy(b *testing.B) {
	auth, err := New(Config{Bearer: table(tokens), Key: table(keys)})
	if err != nil {
		b.Fatal(err)
	}
	h := auth.Middleware(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	for _, path := range []string{"/plain", "/guarded"} {
		b.Run(path[1:], func(b *testing.B) {
			r := httptest.NewRequest("GET", path, nil)
			r.Header.Set("Authorization", "Bearer tok-pro")
			w := httptest.NewRecorder()
			b.ReportAllocs()
			for b.Loop() {
				h.ServeHTTP(w, r)
			}
			if w.Code != 200 {
				b.Fatalf("status %d", w.Code)
			}
		})
	}
}
