package apikey_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"time"

	"github.com/authgen/authgen/runtime/apikey"
	"github.com/authgen/authgen/runtime/authrt"
)

func Example() {
	// The pepper comes from the server's configuration, never from the
	// store; the key was issued to the client once and is not kept.
	hasher := apikey.NewHasher([]byte("pepper-from-config-0123456789"))
	const issued = "sk_live_4f9d2c7e1b8a6053"

	rec := hasher.Record("key-7f3a", "billing-service", issued, "chat:generate")
	rec.ExpiresAt = time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	store, err := apikey.NewMemoryStore(rec)
	if err != nil {
		log.Fatal(err)
	}
	verifier, err := apikey.NewVerifier(store, apikey.WithHasher(hasher))
	if err != nil {
		log.Fatal(err)
	}

	ctx := context.Background()
	id, err := verifier.Verify(ctx, issued)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(id.Subject, id.KeyID, id.Scopes)

	if err := store.Revoke("key-7f3a"); err != nil {
		log.Fatal(err)
	}
	_, err = verifier.Verify(ctx, issued)
	fmt.Println(errors.Is(err, authrt.ErrInvalidCredential), errors.Is(err, apikey.ErrKeyRevoked))
	fmt.Println(authrt.PublicReason(err))
	fmt.Println(err)
	// Output:
	// billing-service key-7f3a [chat:generate]
	// true true
	// API key revoked
	// API key revoked: key id "key-7f3a"
}

func ExampleHash_MarshalText() {
	h := apikey.HashKey("abc")
	text, _ := h.MarshalText()
	fmt.Println(string(text))
	// Output:
	// sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad
}
