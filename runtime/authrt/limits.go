package authrt

import (
	"fmt"
	"math"
	"net/http"
	"strconv"
	"time"
)

// rateLimit applies op's rate limits to an authorized request. It sets the
// RateLimit and RateLimit-Policy headers (draft-ietf-httpapi-ratelimit-
// headers) of the most constrained limit, and returns a 429 (or, for a
// fail-closed limit whose limiter failed, a 503) denial.
func (g *Guard) rateLimit(op *compiledOp, w http.ResponseWriter, r *http.Request, info *requestInfo, p *Principal) *Denial {
	var tightest *RateLimitRule
	var tightRes RateResult
	var tightLimit int
	for i := range op.rates {
		rule := &op.rates[i]
		limit := rule.Limit
		if rule.LimitClaim != "" && p != nil {
			if v, ok := claimIn(p.Claims, rule.LimitClaim); ok {
				if n, ok := number(v); ok && n >= 1 && n <= math.MaxInt32 {
					limit = int(n)
				}
			}
		}
		burst := rule.Burst
		if burst == 0 {
			burst = limit
		}
		l := Limit{Rate: limit, Burst: burst, Period: rule.Per}
		key := rule.Name + "\x00" + rateSubject(rule, info, p)
		res, err := g.limiter.Allow(r.Context(), key, l)
		if err != nil {
			if rule.FailClosed {
				return &Denial{Status: http.StatusServiceUnavailable, Operation: op.id, RetryAfter: 5,
					Detail: "rate limiting is temporarily unavailable", Cause: fmt.Errorf("rate limit %q: %w", rule.Name, err)}
			}
			// Fail open to the local limiter: an outage of the shared
			// store must not take the API down, nor lift the limit.
			res, _ = g.local.Allow(r.Context(), key, l)
		}
		if tightest == nil || !res.Allowed || (tightRes.Allowed && res.Remaining < tightRes.Remaining) {
			tightest, tightRes, tightLimit = rule, res, limit
		}
		if !res.Allowed {
			break
		}
	}
	if tightest == nil {
		return nil
	}
	h := w.Header()
	window := int(math.Ceil(tightest.Per.Seconds()))
	h.Set("RateLimit-Policy", fmt.Sprintf("%q;q=%d;w=%d", tightest.Name, tightLimit, window))
	h.Set("RateLimit", fmt.Sprintf("%q;r=%d;t=%d", tightest.Name, tightRes.Remaining, ceilSeconds(tightRes.ResetAfter)))
	if tightRes.Allowed {
		return nil
	}
	retry := ceilSeconds(tightRes.RetryAfter)
	if retry < 1 {
		retry = 1
	}
	return &Denial{
		Status:     http.StatusTooManyRequests,
		Operation:  op.id,
		Code:       CodeRateLimited,
		Detail:     "rate limit " + strconv.Quote(tightest.Name) + " exceeded; retry after " + strconv.Itoa(retry) + "s",
		RetryAfter: retry,
	}
}

// rateSubject is whose requests a rule counts together. Callers without
// the named identity (anonymous, or no such claim) count by client address.
func rateSubject(rule *RateLimitRule, info *requestInfo, p *Principal) string {
	if p != nil {
		switch rule.By {
		case RateBySubject:
			if p.Subject != "" {
				return "s:" + p.Subject
			}
		case RateByKey:
			if p.KeyID != "" {
				return "k:" + p.KeyID
			}
			if p.Subject != "" {
				return "s:" + p.Subject
			}
		case RateByClaim:
			if v, ok := claimIn(p.Claims, rule.Claim); ok {
				if s, ok := v.(string); ok {
					return "c:" + s
				}
				return "c:" + fmt.Sprint(v)
			}
		}
	}
	if info != nil && info.client.IsValid() {
		return "ip:" + info.client.String()
	}
	return "ip:unknown"
}

func ceilSeconds(d time.Duration) int {
	if d <= 0 {
		return 0
	}
	return int((d + time.Second - 1) / time.Second)
}
