package policy

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/authgen/authgen/runtime/authrt"
)

// BenchmarkPolicy measures what a claim rule and an in-memory rate limit
// add to a request through the generated middleware: "plain" is the same
// request to an operation without them, in the same run. Every response's
// status is checked, so a benchmark that ends up measuring 429s (or 403s)
// fails instead of reporting their speed.
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
			w := newStatusWriter()
			b.ReportAllocs()
			for b.Loop() {
				serveOK(b, h, w, r)
			}
		})
	}
}

// statusWriter is a ResponseWriter for benchmarks that keeps the status of
// the latest response. httptest.ResponseRecorder, reused, keeps the first
// one: a 429 after a run of 200s would go unseen.
type statusWriter struct {
	h      http.Header
	status int
}

func newStatusWriter() *statusWriter { return &statusWriter{h: http.Header{}} }

func (w *statusWriter) Header() http.Header { return w.h }

func (w *statusWriter) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return len(p), nil
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
}

// serveOK serves r with w and fails tb unless the response is a 200.
func serveOK(tb testing.TB, h http.Handler, w *statusWriter, r *http.Request) {
	w.status = 0
	h.ServeHTTP(w, r)
	if w.status != 0 && w.status != http.StatusOK {
		tb.Fatalf("%s %s: status %d", r.Method, r.URL.Path, w.status)
	}
}

// fatalTB records Fatalf instead of stopping the test.
type fatalTB struct {
	testing.TB
	msg string
}

func (f *fatalTB) Fatalf(format string, args ...any) { f.msg = fmt.Sprintf(format, args...) }

// TestServeOKSeesLaterStatus: the benchmark's check catches a 429 that
// comes after the first responses (/by-key allows 2 per key), even behind
// a handler that writes a body, where a reused ResponseRecorder keeps the
// first response's 200.
func TestServeOKSeesLaterStatus(t *testing.T) {
	h := newHandler(t, authrt.Options{}) // writes the subject
	r := httptest.NewRequest("GET", "/by-key", nil)
	r.Header.Set("X-API-Key", "sk_key_one")
	rec := httptest.NewRecorder()
	for i := 0; i < 3; i++ {
		h.ServeHTTP(rec, r)
	}
	if rec.Code != http.StatusOK {
		t.Fatalf("a reused ResponseRecorder reports %d; this test assumes it keeps the first 200", rec.Code)
	}
	r.Header.Set("X-API-Key", "sk_key_two") // a fresh bucket
	w := newStatusWriter()
	for i := 0; i < 2; i++ {
		tb := &fatalTB{TB: t}
		if serveOK(tb, h, w, r); tb.msg != "" {
			t.Fatalf("request %d: %s", i, tb.msg)
		}
	}
	tb := &fatalTB{TB: t}
	if serveOK(tb, h, w, r); tb.msg != "GET /by-key: status 429" {
		t.Errorf("third request: check reported %q, want the 429", tb.msg)
	}
}
