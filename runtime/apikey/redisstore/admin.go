package redisstore

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/redis/go-redis/v9"

	"github.com/authgen/authgen/runtime/apikey"
)

// createScript adds a record if neither its ID nor its hash is taken, and
// announces it. KEYS: id key, hash key, ID set. ARGV: hex hash, record JSON,
// channel, ID.
var createScript = redis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 1 then return 1 end
if redis.call('EXISTS', KEYS[2]) == 1 then return 2 end
redis.call('SET', KEYS[2], ARGV[2])
redis.call('SET', KEYS[1], ARGV[1])
redis.call('SADD', KEYS[3], ARGV[4])
redis.call('PUBLISH', ARGV[3], ARGV[1])
return 0
`)

// updateScript replaces a record if it is still the one read, and announces
// the change. KEYS: hash key. ARGV: old JSON, new JSON, channel, hex hash.
var updateScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2])
redis.call('PUBLISH', ARGV[3], ARGV[4])
return 1
`)

// maxUpdateTries bounds the retries of Update under concurrent changes.
const maxUpdateTries = 20

// Create adds r (see apikey.Admin), atomically, and tells every replica.
func (s *Store) Create(ctx context.Context, r apikey.Record) error {
	if err := r.Validate(); err != nil {
		return err
	}
	data, err := json.Marshal(&r)
	if err != nil {
		return fmt.Errorf("redisstore: %w", err)
	}
	hx := hex.EncodeToString(r.Hash[:])
	res, err := createScript.Run(ctx, s.client, []string{s.idKey(r.ID), s.hashKey(hx), s.idsKey()},
		hx, data, s.channel(), r.ID).Int()
	if err != nil {
		return fmt.Errorf("redisstore: create %q: %w", r.ID, err)
	}
	switch res {
	case 1:
		return fmt.Errorf("%w: record %q: already stored", apikey.ErrDuplicateID, r.ID)
	case 2:
		other := "another record"
		if o, err := s.getByHex(ctx, hx); err == nil {
			other = fmt.Sprintf("record %q", o.ID)
		}
		return fmt.Errorf("%w: record %q: same key hash as %s", apikey.ErrDuplicateHash, r.ID, other)
	}
	s.changed(r.Hash)
	return nil
}

// Get returns the record with the given ID, read from Redis.
func (s *Store) Get(ctx context.Context, id string) (*apikey.Record, error) {
	_, r, err := s.getRaw(ctx, id)
	return r, err
}

// getRaw returns the stored JSON of record id and the record.
func (s *Store) getRaw(ctx context.Context, id string) ([]byte, *apikey.Record, error) {
	hx, err := s.client.Get(ctx, s.idKey(id)).Result()
	if errors.Is(err, redis.Nil) {
		return nil, nil, fmt.Errorf("%w: record %q", apikey.ErrNotFound, id)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("redisstore: get %q: %w", id, err)
	}
	data, err := s.client.Get(ctx, s.hashKey(hx)).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, nil, fmt.Errorf("%w: record %q (its ID is indexed, its record is gone)", apikey.ErrNotFound, id)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("redisstore: get %q: %w", id, err)
	}
	r, err := decode(data)
	if err != nil {
		return nil, nil, err
	}
	return data, r, nil
}

func (s *Store) getByHex(ctx context.Context, hx string) (*apikey.Record, error) {
	data, err := s.client.Get(ctx, s.hashKey(hx)).Bytes()
	if err != nil {
		return nil, err
	}
	return decode(data)
}

// Update changes record id (see apikey.Admin): it reads the record, applies
// change, and writes the result only if the record is still the one read,
// retrying otherwise. Every replica is told.
func (s *Store) Update(ctx context.Context, id string, change func(*apikey.Record) error) (*apikey.Record, error) {
	for range maxUpdateTries {
		old, r, err := s.getRaw(ctx, id)
		if err != nil {
			return nil, err
		}
		c, err := apikey.ChangeRecord(r, change)
		if err != nil {
			return nil, err
		}
		data, err := json.Marshal(c)
		if err != nil {
			return nil, fmt.Errorf("redisstore: %w", err)
		}
		hx := hex.EncodeToString(c.Hash[:])
		ok, err := updateScript.Run(ctx, s.client, []string{s.hashKey(hx)}, old, data, s.channel(), hx).Int()
		if err != nil {
			return nil, fmt.Errorf("redisstore: update %q: %w", id, err)
		}
		if ok == 1 {
			s.changed(c.Hash)
			return c, nil
		}
	}
	return nil, fmt.Errorf("redisstore: update %q: the record kept changing (%d tries)", id, maxUpdateTries)
}

// List returns every record, sorted by ID: an administrative call, not
// one for the request path.
func (s *Store) List(ctx context.Context) ([]*apikey.Record, error) {
	ids, err := s.client.SMembers(ctx, s.idsKey()).Result()
	if err != nil {
		return nil, fmt.Errorf("redisstore: list: %w", err)
	}
	var out []*apikey.Record
	for len(ids) > 0 {
		n := min(len(ids), 500)
		keys := make([]string, n)
		for i, id := range ids[:n] {
			keys[i] = s.idKey(id)
		}
		hexes, err := s.client.MGet(ctx, keys...).Result()
		if err != nil {
			return nil, fmt.Errorf("redisstore: list: %w", err)
		}
		keys = keys[:0]
		for _, v := range hexes {
			if hx, ok := v.(string); ok {
				keys = append(keys, s.hashKey(hx))
			}
		}
		if len(keys) > 0 {
			vals, err := s.client.MGet(ctx, keys...).Result()
			if err != nil {
				return nil, fmt.Errorf("redisstore: list: %w", err)
			}
			for _, v := range vals {
				if str, ok := v.(string); ok {
					r, err := decode([]byte(str))
					if err != nil {
						return nil, err
					}
					out = append(out, r)
				}
			}
		}
		ids = ids[n:]
	}
	apikey.SortRecords(out)
	return out, nil
}
