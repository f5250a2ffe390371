package redisstore

import (
	"context"
	"encoding/hex"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/authgen/authgen/runtime/apikey"
)

// healthInterval is how long the change listener waits for a message before
// it pings Redis, to find a dead connection.
const healthInterval = 3 * time.Second

// listen receives change messages until ctx ends, evicting each changed
// key from the cache. After every (re)subscription, when messages may have
// been missed, it makes every cached key ask Redis again.
func (s *Store) listen(ctx context.Context) {
	defer close(s.done)
	s.sub.Subscribe(ctx, s.channel()) // on failure, Receive reconnects and resubscribes
	failures := 0
	for ctx.Err() == nil {
		msg, err := s.sub.ReceiveTimeout(ctx, healthInterval)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			if isTimeout(err) {
				pctx, cancel := context.WithTimeout(ctx, s.o.timeout*4)
				err = s.sub.Ping(pctx) // reconnects if the connection is dead
				cancel()
				if err == nil {
					continue
				}
			}
			failures++
			sleep(ctx, min(time.Duration(failures)*100*time.Millisecond, time.Second))
			continue
		}
		failures = 0
		switch m := msg.(type) {
		case *redis.Subscription:
			if m.Kind == "subscribe" {
				s.cache.invalidateAll()
				s.subs.Add(1)
			}
		case *redis.Message:
			s.handleChange(m.Payload)
		}
	}
}

// handleChange evicts the key whose hash (hex) is payload.
func (s *Store) handleChange(payload string) {
	var h apikey.Hash
	if len(payload) != 2*len(h) {
		return
	}
	if _, err := hex.Decode(h[:], []byte(payload)); err != nil {
		return
	}
	s.changed(h)
	s.changes.Add(1)
}

// changed handles the news that the record of h changed: lookups ask Redis
// from now on, and a background refresh reads the new version at once.
func (s *Store) changed(h apikey.Hash) {
	e, st := s.cache.invalidate(h)
	if e != nil && e.refreshing.CompareAndSwap(false, true) {
		go s.refresh(h, e, st)
	}
}

// isTimeout reports whether err is a read timeout (no message arrived).
func isTimeout(err error) bool {
	t, ok := err.(interface{ Timeout() bool })
	return ok && t.Timeout()
}

func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}
