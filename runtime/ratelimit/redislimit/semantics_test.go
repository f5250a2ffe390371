package redislimit

import (
	"fmt"
	"testing"
	"time"

	"github.com/authgen/authgen/runtime/authrt"
	"github.com/authgen/authgen/runtime/internal/redistest"
)

// TestSameAsMemoryLimiter checks the shared semantics: for the same Limit and
// the same requests, authrt.MemoryLimiter and the Redis limiter allow the
// same requests with the same Remaining. The two are called alternately, so
// they see the same elapsed times; the pauses put every request half an
// interval away from the moment a request is regained, so that scheduling
// jitter cannot tip a decision.
func TestSameAsMemoryLimiter(t *testing.T) {
	s := redistest.Start(t)
	red := newLimiter(t, newClient(t, s.Addr()))
	mem := authrt.NewMemoryLimiter(0)

	type step struct {
		pause     float64 // in intervals, before the requests
		requests  int
		wantAllow int // how many of them GCRA allows
	}
	for _, tc := range []struct {
		name  string
		limit authrt.Limit
		steps []step
	}{
		{"burst below rate", authrt.Limit{Rate: 5, Burst: 4, Period: time.Second},
			// 4 at once; one regained after 1.5 intervals; two more after
			// another 2; full again (a new start) after another 4.
			[]step{{0, 6, 4}, {1.5, 2, 1}, {2, 3, 2}, {4, 5, 4}}},
		{"burst above rate", authrt.Limit{Rate: 3, Burst: 7, Period: 600 * time.Millisecond},
			[]step{{0, 9, 7}, {2.5, 3, 2}}},
		{"burst zero is rate", authrt.Limit{Rate: 4, Period: 800 * time.Millisecond},
			[]step{{0, 5, 4}, {1.5, 2, 1}}},
		{"interval not a whole number of ns", authrt.Limit{Rate: 3, Burst: 2, Period: time.Second},
			[]step{{0, 3, 2}, {1.5, 2, 1}}},
		{"100 per minute", authrt.Limit{Rate: 100, Burst: 100, Period: time.Minute},
			[]step{{0, 103, 100}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			key := "same:" + tc.name
			interval := tc.limit.Period / time.Duration(tc.limit.Rate)
			start := time.Now()
			var at float64
			for si, st := range tc.steps {
				at += st.pause
				time.Sleep(time.Until(start.Add(time.Duration(at * float64(interval)))))
				allowed := 0
				for i := range st.requests {
					m := allow(t, mem, key, tc.limit)
					r := allow(t, red, key, tc.limit)
					where := fmt.Sprintf("step %d, request %d", si+1, i+1)
					if m.Allowed != r.Allowed || m.Remaining != r.Remaining {
						t.Fatalf("%s: memory %+v, Redis %+v", where, m, r)
					}
					if m.Allowed {
						allowed++
					}
					// Durations agree up to the time between the two calls.
					for _, d := range [][2]time.Duration{{m.RetryAfter, r.RetryAfter}, {m.ResetAfter, r.ResetAfter}} {
						if diff := d[0] - d[1]; diff > interval/4 || diff < -interval/4 {
							t.Errorf("%s: memory %+v, Redis %+v", where, m, r)
						}
					}
				}
				if allowed != st.wantAllow {
					t.Errorf("step %d: both allowed %d of %d, want %d", si+1, allowed, st.requests, st.wantAllow)
				}
			}
		})
	}
}
