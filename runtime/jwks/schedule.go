package jwks

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

// run fetches the set on schedule until the Source is closed.
func (s *Source) run() {
	defer s.wg.Done()
	timer := time.NewTimer(s.nextDelay())
	defer timer.Stop()
	for {
		select {
		case <-s.ctx.Done():
			return
		case <-timer.C:
			s.Refresh(s.ctx)
			timer.Reset(s.nextDelay())
		}
	}
}

func (s *Source) setNext(d time.Duration) {
	s.mu.Lock()
	s.next = d
	s.mu.Unlock()
}

func (s *Source) nextDelay() time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.next
}

// refreshDelay is how long the set fetched with header h may be used before
// it is fetched again: Cache-Control's max-age less Age, or the default,
// held within the configured bounds.
func refreshDelay(h http.Header, c *config) time.Duration {
	d, ok := maxAge(h)
	if !ok {
		d = c.refresh
	}
	return min(max(d, c.minRefresh), c.maxRefresh)
}

// maxAge reads Cache-Control (RFC 9111 section 5.2.2): no-store and
// no-cache mean 0, max-age=N means N seconds, less the Age header.
func maxAge(h http.Header) (time.Duration, bool) {
	var (
		secs  int64
		found bool
	)
	for _, line := range h.Values("Cache-Control") {
		for _, dir := range strings.Split(line, ",") {
			name, val, _ := strings.Cut(strings.TrimSpace(dir), "=")
			switch strings.ToLower(strings.TrimSpace(name)) {
			case "no-store", "no-cache":
				return 0, true
			case "max-age":
				n, err := strconv.ParseInt(strings.Trim(strings.TrimSpace(val), `"`), 10, 64)
				if err != nil || n < 0 {
					continue // an invalid max-age is ignored
				}
				if !found || n < secs {
					secs, found = n, true
				}
			}
		}
	}
	if !found {
		return 0, false
	}
	if age, err := strconv.ParseInt(strings.TrimSpace(h.Get("Age")), 10, 64); err == nil && age > 0 {
		secs = max(secs-age, 0)
	}
	const maxSecs = int64(time.Duration(1<<63-1) / time.Second)
	return time.Duration(min(secs, maxSecs)) * time.Second, true
}
