package apikey_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"strings"
	"time"

	"github.com/authgen/authgen/runtime/apikey"
)

// Keys are minted into an Admin store (here in memory; filestore and
// redisstore work the same), rotated with an overlap, and revoked.
func ExampleRotate() {
	ctx := context.Background()
	now := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	store, _ := apikey.NewMemoryStore()
	verifier, err := apikey.NewVerifier(store, apikey.WithPrefixes("sk_live"),
		apikey.WithClock(func() time.Time { return now }))
	if err != nil {
		log.Fatal(err)
	}

	oldKey, rec, err := apikey.Issue(ctx, store, nil, apikey.KeySpec{
		ID: "key_billing", Prefix: "sk_live", Name: "billing-service", Scopes: []string{"chat:generate"},
	}, now)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(strings.HasPrefix(oldKey, "sk_live_"), len(oldKey), rec.ID)

	newKey, next, old, err := apikey.Rotate(ctx, store, nil, "key_billing",
		apikey.RotateSpec{ID: "key_billing_2", Overlap: 24 * time.Hour}, now)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(next.ID, next.Name, old.ExpiresAt.Format(time.RFC3339))

	now = now.Add(25 * time.Hour) // past the overlap
	_, err = verifier.Verify(ctx, oldKey)
	fmt.Println("old key:", err)
	id, _ := verifier.Verify(ctx, newKey)
	fmt.Println("new key:", id.KeyID)

	apikey.Revoke(ctx, store, "key_billing_2")
	_, err = verifier.Verify(ctx, newKey)
	fmt.Println(errors.Is(err, apikey.ErrKeyRevoked))
	// Output:
	// true 44 key_billing
	// key_billing_2 billing-service 2025-06-02T12:00:00Z
	// old key: API key expired: key id "key_billing"
	// new key: key_billing_2
	// true
}
