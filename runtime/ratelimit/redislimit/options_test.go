package redislimit

import (
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

func TestNewRejectsMisconfiguration(t *testing.T) {
	client := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"})
	t.Cleanup(func() { client.Close() })
	var nilClient *redis.Client
	for _, tc := range []struct {
		name   string
		client redis.UniversalClient
		opts   []Option
		want   []string
	}{
		{"nil client", nil, nil, []string{"nil Redis client"}},
		{"typed nil client", nilClient, nil, []string{"nil Redis client"}},
		{"nil option", client, []Option{nil}, []string{"nil Option"}},
		{"empty prefix", client, []Option{WithKeyPrefix("")}, []string{"key prefix"}},
		{"prefix with space", client, []Option{WithKeyPrefix("a b:")}, []string{"printable ASCII"}},
		{"prefix with newline", client, []Option{WithKeyPrefix("a\n")}, []string{"printable ASCII"}},
		{"long prefix", client, []Option{WithKeyPrefix(strings.Repeat("p", 65))}, []string{"1 to 64"}},
		{"zero timeout", client, []Option{WithTimeout(0)}, []string{"timeout 0s"}},
		{"all at once", nil, []Option{WithKeyPrefix(""), WithTimeout(time.Microsecond)},
			[]string{"nil Redis client", "key prefix", "timeout 1µs"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l, err := New(tc.client, tc.opts...)
			if err == nil || l != nil {
				t.Fatalf("New = %v, %v; want an error", l, err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("New: %q does not say %q", err, w)
				}
			}
		})
	}
}

func TestNewAcceptsOptions(t *testing.T) {
	client := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"})
	t.Cleanup(func() { client.Close() })
	l, err := New(client, WithKeyPrefix("{tenant}:rl:"), WithTimeout(time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	if l.prefix != "{tenant}:rl:" || l.timeout != time.Millisecond {
		t.Errorf("New: prefix %q, timeout %s", l.prefix, l.timeout)
	}
	l, err = New(client)
	if err != nil {
		t.Fatal(err)
	}
	if l.prefix != DefaultKeyPrefix || l.timeout != DefaultTimeout {
		t.Errorf("New: defaults are prefix %q, timeout %s", l.prefix, l.timeout)
	}
}
