// Package apikey verifies API keys against stored hashes of them.
//
// A server never keeps its clients' keys: it keeps a Record per key holding
// the key's Hash (SHA-256, or HMAC-SHA256 under a server-side pepper), an ID
// that names the key in logs, the owner, the scopes it grants, its validity
// window and a revoked flag. A Verifier hashes the key a request presents,
// finds the record through a Store, compares the hashes in constant time and
// checks the record, giving an authrt.Identity or an error that wraps
// authrt.ErrInvalidCredential.
//
// Usage, with keys issued elsewhere and their records kept in memory:
//
//	pepper := []byte(os.Getenv("APIKEY_PEPPER")) // at least 16 bytes, not stored with the records
//	hasher := apikey.NewHasher(pepper)
//
//	rec := hasher.Record("key-7f3a", "billing-service", issuedKey, "chat:generate")
//	rec.ExpiresAt = time.Now().AddDate(0, 6, 0)
//	store, err := apikey.NewMemoryStore(rec)
//	if err != nil {
//		log.Fatal(err)
//	}
//	verifier, err := apikey.NewVerifier(store, apikey.WithHasher(hasher))
//	if err != nil {
//		log.Fatal(err)
//	}
//
//	id, err := verifier.Verify(ctx, keyFromRequest)
//	switch {
//	case errors.Is(err, authrt.ErrInvalidCredential):
//		// 401; authrt.PublicReason(err) says why, e.g. "API key expired".
//	case err != nil:
//		// the store failed: 503
//	default:
//		// id.KeyID == "key-7f3a", id.Subject == "billing-service"
//	}
//
// Keys are named by their record ID in every error; no error or log line
// made by this package contains a key. Keys longer than the configured
// maximum (WithMaxKeyLength) are refused before they are hashed.
//
// Records serialise to JSON, with the hash as "sha256:<hex>", so that other
// Store implementations can hold the same records. MemoryStore is the
// in-memory one; it can revoke and delete keys while verifiers use it.
package apikey
