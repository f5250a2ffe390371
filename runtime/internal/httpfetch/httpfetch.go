// Package httpfetch fetches small documents (a JWK Set, an OpenID Connect
// discovery document) for the runtime: https only (plain http only to a
// loopback address), redirects held to the same rule, a status of 200, and
// a cap on the body.
package httpfetch

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
)

// Errors of CheckURL and Get.
var (
	// ErrInsecureURL: the URL is not https, and not http to a loopback
	// address (localhost, 127.0.0.0/8, ::1).
	ErrInsecureURL = errors.New("the URL must use https (plain http only to a loopback address)")
	// ErrInvalidURL: the URL is not absolute or has no host.
	ErrInvalidURL = errors.New("invalid URL")
	// ErrTooLarge: the body is longer than the cap.
	ErrTooLarge = errors.New("response body too large")
	// ErrStatus: the response status is not 200.
	ErrStatus = errors.New("unexpected response status")
)

// maxRedirects is how many redirects one fetch follows.
const maxRedirects = 5

// CheckURL parses raw and checks that it may be fetched.
func CheckURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidURL, err)
	}
	if u.Host == "" || u.Hostname() == "" || !u.IsAbs() {
		return nil, fmt.Errorf("%w: %q is not an absolute http(s) URL", ErrInvalidURL, raw)
	}
	if u.Fragment != "" || u.User != nil {
		return nil, fmt.Errorf("%w: %q has a fragment or user information", ErrInvalidURL, raw)
	}
	switch strings.ToLower(u.Scheme) {
	case "https":
		return u, nil
	case "http":
		if IsLoopback(u.Hostname()) {
			return u, nil
		}
	}
	return nil, fmt.Errorf("%w: %q", ErrInsecureURL, raw)
}

// IsLoopback reports whether host is "localhost" or a loopback IP address.
func IsLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Client returns a copy of c (http.DefaultClient's settings when nil) whose
// redirects must pass CheckURL too, at most five of them.
func Client(c *http.Client) *http.Client {
	var cc http.Client
	if c != nil {
		cc = *c
	}
	next := cc.CheckRedirect
	cc.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if len(via) >= maxRedirects {
			return fmt.Errorf("stopped after %d redirects", maxRedirects)
		}
		if _, err := CheckURL(req.URL.String()); err != nil {
			return fmt.Errorf("redirect: %w", err)
		}
		if next != nil {
			return next(req, via)
		}
		return nil
	}
	return &cc
}

// Response is what Get read.
type Response struct {
	Body   []byte
	Header http.Header
}

// Get fetches rawURL with c (from Client) and returns the body, which must
// come with status 200 and be at most maxBytes long.
func Get(ctx context.Context, c *http.Client, rawURL string, maxBytes int64) (*Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := c.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		io.Copy(io.Discard, io.LimitReader(resp.Body, 4<<10)) // lets the connection be reused
		return nil, fmt.Errorf("%w: %s", ErrStatus, resp.Status)
	}
	if resp.ContentLength > maxBytes {
		return nil, fmt.Errorf("%w: %d bytes announced, limit %d", ErrTooLarge, resp.ContentLength, maxBytes)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBytes+1))
	if err != nil {
		return nil, err
	}
	if int64(len(body)) > maxBytes {
		return nil, fmt.Errorf("%w: more than %d bytes", ErrTooLarge, maxBytes)
	}
	return &Response{Body: body, Header: resp.Header}, nil
}
