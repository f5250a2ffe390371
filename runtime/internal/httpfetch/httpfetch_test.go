package httpfetch

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestCheckURL(t *testing.T) {
	tests := []struct {
		url     string
		wantErr error
	}{
		{"https://idp.example.com/.well-known/jwks.json", nil},
		{"HTTPS://idp.example.com/jwks", nil},
		{"http://127.0.0.1:8080/jwks", nil},
		{"http://127.1.2.3/jwks", nil},
		{"http://[::1]:9000/jwks", nil},
		{"http://localhost:9000/jwks", nil},
		{"http://idp.example.com/jwks", ErrInsecureURL},
		{"http://10.0.0.1/jwks", ErrInsecureURL},
		{"http://localhost.example.com/jwks", ErrInsecureURL},
		{"ftp://idp.example.com/jwks", ErrInsecureURL},
		{"file:///etc/jwks.json", ErrInvalidURL},
		{"/jwks", ErrInvalidURL},
		{"https://user:pass@idp.example.com/jwks", ErrInvalidURL},
		{"https://idp.example.com/jwks#frag", ErrInvalidURL},
		{"https://:443/jwks", ErrInvalidURL},
		{"https://idp.example.com/%zz", ErrInvalidURL},
	}
	for _, tt := range tests {
		_, err := CheckURL(tt.url)
		if !errors.Is(err, tt.wantErr) {
			t.Errorf("CheckURL(%q) = %v, want %v", tt.url, err, tt.wantErr)
		}
	}
}

func TestGet(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/ok", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte(`{"a":1}`)) })
	mux.HandleFunc("/big", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte(strings.Repeat("x", 2000))) })
	mux.HandleFunc("/big-chunked", func(w http.ResponseWriter, r *http.Request) {
		for range 20 {
			w.Write([]byte(strings.Repeat("x", 100)))
			w.(http.Flusher).Flush()
		}
	})
	mux.HandleFunc("/missing", http.NotFound)
	mux.HandleFunc("/to-ok", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/ok", http.StatusFound) })
	mux.HandleFunc("/to-insecure", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://idp.example.com/jwks", http.StatusFound)
	})
	mux.HandleFunc("/loop", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/loop", http.StatusFound) })
	srv := httptest.NewServer(mux)
	defer srv.Close()
	c := Client(srv.Client())
	tests := []struct {
		path    string
		wantErr error
		want    string
	}{
		{path: "/ok", want: `{"a":1}`},
		{path: "/to-ok", want: `{"a":1}`},
		{path: "/big", wantErr: ErrTooLarge},
		{path: "/big-chunked", wantErr: ErrTooLarge},
		{path: "/missing", wantErr: ErrStatus},
		{path: "/to-insecure", wantErr: ErrInsecureURL},
		{path: "/loop"},
	}
	for _, tt := range tests {
		resp, err := Get(context.Background(), c, srv.URL+tt.path, 1000)
		switch {
		case tt.path == "/loop":
			if err == nil {
				t.Errorf("%s: redirect loop followed", tt.path)
			}
		case !errors.Is(err, tt.wantErr):
			t.Errorf("%s: %v, want %v", tt.path, err, tt.wantErr)
		case err == nil && string(resp.Body) != tt.want:
			t.Errorf("%s: body %q, want %q", tt.path, resp.Body, tt.want)
		}
	}
}
