package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/maintnotifications"
	"github.com/spf13/pflag"

	"github.com/authgen/authgen/runtime/apikey"
	"github.com/authgen/authgen/runtime/apikey/filestore"
	"github.com/authgen/authgen/runtime/apikey/redisstore"
)

// keysCommands are the subcommands of "authgen keys".
func keysCommands() []command {
	return []command{
		{"new", "mint a key: print it once, store its record", runKeysNew},
		{"hash", "make a record for an existing key read from standard input", runKeysHash},
		{"rotate", "mint a successor and end the old key after an overlap", runKeysRotate},
		{"revoke", "revoke a key by record ID", runKeysRevoke},
		{"list", "list the records of a store (never keys)", runKeysList},
	}
}

// runKeys dispatches "authgen keys <subcommand>".
func runKeys(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		w := stderr
		if len(args) > 0 {
			w = stdout
		}
		keysUsage(w)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	for _, c := range keysCommands() {
		if c.name == args[0] {
			return c.run(args[1:], stdout, stderr)
		}
	}
	fmt.Fprintf(stderr, "authgen keys: unknown command %q\n\n", args[0])
	keysUsage(stderr)
	return 2
}

func keysUsage(w io.Writer) {
	var b strings.Builder
	b.WriteString("Manage API keys: authgen keeps only their records (SHA-256 hashes, scopes, expiry),\n" +
		"in a key file (JSON or YAML) or in Redis. A key is printed once, when it is made.\n\n" +
		"Usage:\n  authgen keys <command> [flags]\n\nCommands:\n")
	for _, c := range keysCommands() {
		fmt.Fprintf(&b, "  %-8s %s\n", c.name, c.summary)
	}
	b.WriteString("\nStores: --file keys.yaml (or .json), or --redis redis://host:6379/0.\n" +
		"Run \"authgen keys <command> --help\" for a command's flags.\n")
	io.WriteString(w, b.String())
}

// keysEnv is what every keys subcommand shares: the store, the pepper and
// the output format.
type keysEnv struct {
	fs        *pflag.FlagSet
	file      string
	redisURL  string
	namespace string
	pepperEnv string
	output    string
	stdout    io.Writer
	stderr    io.Writer
}

func newKeysEnv(name, usage string, stdout, stderr io.Writer) *keysEnv {
	e := &keysEnv{fs: pflag.NewFlagSet("authgen keys "+name, pflag.ContinueOnError), stdout: stdout, stderr: stderr}
	e.fs.SetOutput(stderr)
	e.fs.StringVarP(&e.file, "file", "f", "", "key file to use (.json, .yaml or .yml)")
	e.fs.StringVar(&e.redisURL, "redis", "", "Redis to use, as a URL: redis://[:password@]host:port/db (rediss:// for TLS)")
	e.fs.StringVar(&e.namespace, "namespace", redisstore.DefaultNamespace, "prefix of the Redis keys (with --redis)")
	e.fs.StringVar(&e.pepperEnv, "pepper-env", "", "name of an environment variable holding the server's pepper\n(HMAC-SHA256 instead of SHA-256; the same pepper as the server's apikey.WithPepper)")
	e.fs.StringVarP(&e.output, "output", "o", "text", "output format: text or json")
	e.fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: authgen keys %s\n\nFlags:\n%s", usage, e.fs.FlagUsages())
	}
	return e
}

// parse parses args and checks the shared flags. It returns the exit code
// to stop with, or -1 to go on.
func (e *keysEnv) parse(args []string, nargs int) int {
	if err := e.fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return 0
		}
		e.usageError("%v", err)
		return 2
	}
	switch {
	case e.fs.NArg() != nargs:
		e.usageError("want %d argument(s), got %d", nargs, e.fs.NArg())
	case e.file != "" && e.redisURL != "":
		e.usageError("--file and --redis: give one store")
	case e.output != "text" && e.output != "json":
		e.usageError("--output %q: want text or json", e.output)
	default:
		return -1
	}
	return 2
}

func (e *keysEnv) usageError(format string, args ...any) {
	fmt.Fprintf(e.stderr, "%s: %s\n", e.fs.Name(), fmt.Sprintf(format, args...))
	e.fs.Usage()
}

// fail prints err and returns the exit code 1.
func (e *keysEnv) fail(err error) int {
	fmt.Fprintf(e.stderr, "%s: %v\n", e.fs.Name(), err)
	return 1
}

// hasStore reports whether a store was given.
func (e *keysEnv) hasStore() bool { return e.file != "" || e.redisURL != "" }

// where names the store for messages, without a Redis password.
func (e *keysEnv) where() string {
	if e.file != "" {
		return e.file
	}
	opt, err := redis.ParseURL(e.redisURL)
	if err != nil {
		return "Redis"
	}
	return "Redis " + opt.Addr + " (namespace " + e.namespace + ")"
}

// open opens the store given by the flags. create makes a missing key file.
func (e *keysEnv) open(ctx context.Context, create bool) (apikey.Admin, func(), error) {
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	if e.file != "" {
		opts := []filestore.Option{filestore.WithReloadInterval(0), filestore.WithLogger(quiet)}
		if create {
			opts = append(opts, filestore.CreateIfMissing())
		}
		s, err := filestore.Open(e.file, opts...)
		if err != nil {
			return nil, nil, err
		}
		return s, func() { s.Close() }, nil
	}
	if e.redisURL == "" {
		return nil, nil, errors.New("no store: give --file or --redis")
	}
	opt, err := redis.ParseURL(e.redisURL)
	if err != nil {
		// The parser's message may quote the URL, password included.
		return nil, nil, fmt.Errorf("--redis %s: not a valid redis:// or rediss:// URL", redactURL(e.redisURL))
	}
	opt.MaintNotificationsConfig = &maintnotifications.Config{Mode: maintnotifications.ModeDisabled}
	client := redis.NewClient(opt)
	if err := client.Ping(ctx).Err(); err != nil {
		client.Close()
		return nil, nil, fmt.Errorf("Redis %s: %w", opt.Addr, err)
	}
	s, err := redisstore.New(client, redisstore.WithNamespace(e.namespace), redisstore.WithLogger(quiet))
	if err != nil {
		client.Close()
		return nil, nil, err
	}
	return s, func() { s.Close(); client.Close() }, nil
}

// hasher returns the hasher of the pepper named by --pepper-env.
func (e *keysEnv) hasher() (*apikey.Hasher, error) {
	if e.pepperEnv == "" {
		return nil, nil
	}
	pepper := os.Getenv(e.pepperEnv)
	if len(pepper) < apikey.MinPepperLength {
		return nil, fmt.Errorf("--pepper-env %s: the variable holds %d bytes, want at least %d",
			e.pepperEnv, len(pepper), apikey.MinPepperLength)
	}
	return apikey.NewHasher([]byte(pepper)), nil
}

// writeJSON prints v as indented JSON.
func (e *keysEnv) writeJSON(v any) {
	b, _ := json.MarshalIndent(v, "", "  ")
	fmt.Fprintf(e.stdout, "%s\n", b)
}

// parseKeyTime reads a point in time: empty or "never" for none, a duration
// from now ("90d", "2w", "36h", "1h30m"), a date ("2026-01-31", midnight
// UTC) or an RFC 3339 time.
func parseKeyTime(s string, now time.Time) (time.Time, error) {
	switch s {
	case "", "never":
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.UTC(), nil
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	d, err := parseKeyDuration(s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q: want a duration (90d, 2w, 36h), a date (2026-01-31) or an RFC 3339 time", s)
	}
	if d <= 0 {
		return time.Time{}, fmt.Errorf("%q: the duration must be positive", s)
	}
	return now.Add(d).UTC().Truncate(time.Second), nil
}

// parseKeyDuration is time.ParseDuration with days ("d") and weeks ("w").
func parseKeyDuration(s string) (time.Duration, error) {
	for suffix, unit := range map[string]time.Duration{"d": 24 * time.Hour, "w": 7 * 24 * time.Hour} {
		if n, ok := strings.CutSuffix(s, suffix); ok {
			if v, err := strconv.Atoi(n); err == nil {
				return time.Duration(v) * unit, nil
			}
		}
	}
	return time.ParseDuration(s)
}

// describeRecord is a record in one line for people: ID, name, prefix, scopes,
// state. Never the hash.
func describeRecord(r *apikey.Record, now time.Time) string {
	parts := []string{r.ID}
	if r.Name != "" {
		parts = append(parts, "name="+r.Name)
	}
	if r.Prefix != "" {
		parts = append(parts, "prefix="+r.Prefix)
	}
	if len(r.Scopes) > 0 {
		parts = append(parts, "scopes="+strings.Join(r.Scopes, ","))
	}
	if !r.ExpiresAt.IsZero() {
		parts = append(parts, "expires="+r.ExpiresAt.UTC().Format(time.RFC3339))
	}
	return strings.Join(append(parts, "("+keyState(r, now)+")"), " ")
}

// keyState is "active", "revoked", "expired" or "not yet valid".
func keyState(r *apikey.Record, now time.Time) string {
	switch {
	case r.Revoked:
		return "revoked"
	case !r.ExpiresAt.IsZero() && !now.Before(r.ExpiresAt):
		return "expired"
	case !r.NotBefore.IsZero() && now.Before(r.NotBefore):
		return "not yet valid"
	}
	return "active"
}

// redactURL hides the password of a URL for messages.
func redactURL(raw string) string {
	if u, err := url.Parse(raw); err == nil {
		return u.Redacted()
	}
	if i := strings.LastIndexByte(raw, '@'); i >= 0 {
		if j := strings.Index(raw, "://"); j >= 0 && j < i {
			return raw[:j+3] + "xxxxx" + raw[i:]
		}
		return "xxxxx" + raw[i:]
	}
	return raw
}
