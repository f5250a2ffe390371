package main

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/netip"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/authgen/authgen/runtime/apikey"
	"github.com/authgen/authgen/runtime/apikey/redisstore"
)

// redisStoreArgs starts a private redis-server for the CLI tests, as
// runtime/internal/redistest does for the runtime's (that package is
// internal to runtime/, so cmd/ cannot import it). It reports false when
// redis-server is not installed.
func redisStoreArgs(t *testing.T) (storeArgs, bool) {
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		t.Log("redis-server not found: the CLI's Redis store is not tested (apt-get install redis-server; .ci/run does)")
		return storeArgs{}, false
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	dir := t.TempDir()
	cmd := exec.Command(bin, "--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--save", "",
		"--appendonly", "no", "--dir", dir, "--logfile", dir+"/redis.log")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	addr := "127.0.0.1:" + strconv.Itoa(port)
	for deadline := time.Now().Add(10 * time.Second); !pong(addr); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("redis-server did not start on %s", addr)
		}
	}
	const ns = "clitest"
	return storeArgs{
		name: "redis",
		args: []string{"--redis", "redis://" + addr + "/0", "--namespace", ns},
		open: func(t *testing.T) apikey.Admin {
			c := redis.NewClient(&redis.Options{Addr: addr})
			s, err := redisstore.New(c, redisstore.WithNamespace(ns))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close(); c.Close() })
			return s
		},
		dump: func(t *testing.T) string {
			c := redis.NewClient(&redis.Options{Addr: addr})
			defer c.Close()
			ctx := context.Background()
			keys, err := c.Keys(ctx, "*").Result()
			if err != nil {
				t.Fatal(err)
			}
			var b strings.Builder
			for _, k := range keys {
				v, _ := c.Dump(ctx, k).Result()
				fmt.Fprintf(&b, "%s=%s\n", k, v)
			}
			return b.String()
		},
	}, true
}

func pong(addr string) bool {
	c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
	if err != nil {
		return false
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(time.Second))
	fmt.Fprint(c, "PING\r\n")
	line, err := bufio.NewReader(c).ReadString('\n')
	return err == nil && strings.HasPrefix(line, "+PONG")
}

func mustAddr(t *testing.T, s string) netip.Addr {
	t.Helper()
	a, err := netip.ParseAddr(s)
	if err != nil {
		t.Fatal(err)
	}
	return a
}
