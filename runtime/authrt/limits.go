package authrt

import (
	"fmt"
	"math"
	"net/http"
	"net/netip"
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
	var tightLimit, tightIndex int
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
		key := rateKey(rule, info, p)
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
			tightest, tightRes, tightLimit, tightIndex = rule, res, limit, i
		}
		if !res.Allowed {
			break
		}
	}
	if tightest == nil {
		return nil
	}
	h := w.Header()
	quoted := op.rateNames[tightIndex]
	policy := op.ratePolicies[tightIndex]
	if tightLimit != tightest.Limit {
		policy = ratePolicy(quoted, tightLimit, tightest.Per)
	}
	h["Ratelimit-Policy"] = []string{policy}
	var buf [96]byte
	b := append(append(buf[:0], quoted...), ";r="...)
	b = strconv.AppendInt(b, int64(tightRes.Remaining), 10)
	b = strconv.AppendInt(append(b, ";t="...), int64(ceilSeconds(tightRes.ResetAfter)), 10)
	h["Ratelimit"] = []string{string(b)}
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

// ratePolicy is a RateLimit-Policy value: "name";q=limit;w=seconds.
func ratePolicy(quoted string, limit int, per time.Duration) string {
	var buf [96]byte
	b := append(append(buf[:0], quoted...), ";q="...)
	b = strconv.AppendInt(b, int64(limit), 10)
	b = strconv.AppendInt(append(b, ";w="...), int64(math.Ceil(per.Seconds())), 10)
	return string(b)
}

// rateKey names the bucket of a request under rule: the rule's name and
// whose requests it counts together. An authenticated caller without the
// identity the rule counts by (no such claim, no subject, no API key)
// counts by its subject, else its API key's ID: users behind one NAT do not
// share a bucket, and a token that lacks the claim cannot escape the limit
// by changing address. Only callers with neither (anonymous ones) count by
// client address.
func rateKey(rule *RateLimitRule, info *requestInfo, p *Principal) string {
	if p != nil {
		switch rule.By {
		case RateByClaim:
			if v, ok := claimIn(p.Claims, rule.Claim); ok {
				who, ok := v.(string)
				if !ok {
					who = fmt.Sprint(v)
				}
				return rule.Name + "\x00c:" + who
			}
		case RateByKey:
			if p.apiKeyID != "" {
				return rule.Name + "\x00k:" + p.apiKeyID
			}
		}
		if rule.By != RateByIP {
			switch {
			case p.Subject != "":
				return rule.Name + "\x00s:" + p.Subject
			case p.apiKeyID != "":
				return rule.Name + "\x00k:" + p.apiKeyID
			}
		}
	}
	who := "unknown"
	if info != nil {
		if a, ok := info.clientAddr(); ok {
			who = clientBucket(a)
		}
	}
	return rule.Name + "\x00ip:" + who
}

// clientBucket names a client address for per-address limits: an IPv6
// client counts by its /64, which one subscriber usually holds whole (and
// could otherwise rotate through to escape any limit).
func clientBucket(a netip.Addr) string {
	if a.Is6() {
		return netip.PrefixFrom(a, 64).Masked().String()
	}
	return a.String()
}

func ceilSeconds(d time.Duration) int {
	if d <= 0 {
		return 0
	}
	return int((d + time.Second - 1) / time.Second)
}
