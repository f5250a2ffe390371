package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/authgen/authgen/runtime/apikey"
)

func runKeysRotate(args []string, stdout, stderr io.Writer) int {
	e := newKeysEnv("rotate", "rotate ID [--overlap 24h] [--expires 90d] (--file F | --redis URL)", stdout, stderr)
	overlap := e.fs.String("overlap", "24h", "how long the old key keeps working, so integrations can switch (0 ends it now)")
	expires := e.fs.String("expires", "", "when the new key expires (default: the old key's lifetime, from now)")
	newID := e.fs.String("new-id", "", "the new record's ID (default: key_<random>)")
	if code := e.parse(args, 1); code >= 0 {
		return code
	}
	now := time.Now()
	d, err := parseKeyDuration(*overlap)
	if err != nil || d < 0 {
		e.usageError("--overlap %q: want a duration such as 24h, 7d or 0", *overlap)
		return 2
	}
	exp, err := parseKeyTime(*expires, now)
	if err != nil {
		e.usageError("--expires %v", err)
		return 2
	}
	h, err := e.hasher()
	if err != nil {
		return e.fail(err)
	}
	ctx := context.Background()
	a, closeStore, err := e.open(ctx, false)
	if err != nil {
		return e.fail(err)
	}
	defer closeStore()
	key, next, old, err := apikey.Rotate(ctx, a, h, e.fs.Arg(0), apikey.RotateSpec{Overlap: d, ID: *newID, ExpiresAt: exp}, now)
	if errors.Is(err, apikey.ErrPepperMismatch) {
		err = fmt.Errorf("%w (check --pepper-env)", err)
	}
	if err != nil && key == "" {
		return e.fail(err)
	}
	if e.output == "json" {
		e.writeJSON(struct {
			Key    string         `json:"key"`
			Record *apikey.Record `json:"record"`
			Old    *apikey.Record `json:"old,omitempty"`
		}{key, next, old})
	} else {
		fmt.Fprintf(e.stdout, "New API key (shown once; authgen keeps only its hash, so hand it over now):\n\n    %s\n\n", key)
		fmt.Fprintf(e.stdout, "Stored in %s: %s\n", e.where(), describeRecord(next, now))
		if old != nil {
			fmt.Fprintf(e.stdout, "Old key %s works until %s, then fails as expired.\n",
				old.ID, old.ExpiresAt.UTC().Format(time.RFC3339))
		}
	}
	if err != nil {
		// The successor exists and its key was printed: say what is left.
		return e.fail(err)
	}
	return 0
}

func runKeysRevoke(args []string, stdout, stderr io.Writer) int {
	e := newKeysEnv("revoke", "revoke ID (--file F | --redis URL)", stdout, stderr)
	if code := e.parse(args, 1); code >= 0 {
		return code
	}
	ctx := context.Background()
	a, closeStore, err := e.open(ctx, false)
	if err != nil {
		return e.fail(err)
	}
	defer closeStore()
	r, err := apikey.Revoke(ctx, a, e.fs.Arg(0))
	if err != nil {
		return e.fail(err)
	}
	if e.output == "json" {
		e.writeJSON(r)
		return 0
	}
	fmt.Fprintf(e.stdout, "Revoked in %s: %s\n", e.where(), describeRecord(r, time.Now()))
	return 0
}

func runKeysList(args []string, stdout, stderr io.Writer) int {
	e := newKeysEnv("list", "list (--file F | --redis URL)", stdout, stderr)
	if code := e.parse(args, 0); code >= 0 {
		return code
	}
	ctx := context.Background()
	a, closeStore, err := e.open(ctx, false)
	if err != nil {
		return e.fail(err)
	}
	defer closeStore()
	records, err := a.List(ctx)
	if err != nil {
		return e.fail(err)
	}
	if e.output == "json" {
		if records == nil {
			records = []*apikey.Record{}
		}
		e.writeJSON(records)
		return 0
	}
	now := time.Now()
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tPREFIX\tSCOPES\tEXPIRES\tSTATE")
	for _, r := range records {
		exp := "never"
		if !r.ExpiresAt.IsZero() {
			exp = r.ExpiresAt.UTC().Format(time.RFC3339)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", r.ID, orDash(r.Name), orDash(r.Prefix),
			orDash(strings.Join(r.Scopes, ",")), exp, keyState(r, now))
	}
	tw.Flush()
	return 0
}

// orDash returns s, or "-" when it is empty, for table cells.
func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
