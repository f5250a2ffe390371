// Package apikey mints API keys and verifies them against stored hashes of
// them. It uses the standard library only; its stores live in subpackages:
// filestore (a JSON or YAML file, reloaded when it changes) and redisstore
// (Redis, shared by a fleet of replicas). MemoryStore is here.
//
// # Keys
//
// NewKey makes keys in the format of GitHub's tokens, <prefix>_<random><crc>:
// a prefix such as "sk_live", 30 base62 characters from crypto/rand (178
// bits) and a 6-character base62 CRC-32 of the rest. ParseKey, and a
// Verifier built WithPrefixes, refuse a mistyped, truncated or foreign key
// before any hashing or lookup, and secret scanners can recognise the keys.
//
// # Records
//
// A server never keeps its clients' keys: it keeps a Record per key holding
// the key's Hash (SHA-256, or HMAC-SHA256 under a server-side pepper), an ID
// that names the key in logs, the owner, the prefix, the scopes it grants,
// its validity window, the client networks it may be used from, metadata
// handed to handlers as claims, and a revoked flag. Mint makes a key and its
// record; Import makes a record for a key issued elsewhere; Issue, Rotate and
// Revoke manage keys in any Admin store (the authgen keys commands use
// them). Records serialise to JSON, with the hash as "sha256:<hex>".
//
// # Verifying
//
// A Verifier hashes the key a request presents, finds the record through a
// Store, compares the hashes in constant time and checks the record, giving
// an authrt.Identity or an error that wraps authrt.ErrInvalidCredential:
//
//	pepper := []byte(os.Getenv("APIKEY_PEPPER")) // at least 16 bytes, not stored with the records
//	store, err := filestore.Open("keys.yaml")    // or redisstore.New(client), or NewMemoryStore(records...)
//	if err != nil {
//		log.Fatal(err)
//	}
//	verifier, err := apikey.NewVerifier(store, apikey.WithPepper(pepper), apikey.WithPrefixes("sk_live"))
//	if err != nil {
//		log.Fatal(err)
//	}
//
//	id, err := verifier.Verify(ctx, keyFromRequest)
//	switch {
//	case errors.Is(err, authrt.ErrInvalidCredential):
//		// 401; authrt.PublicReason(err) says why, e.g. "API key expired".
//	case err != nil:
//		// the store failed, or is unreachable (authrt.ErrUnavailable): 503
//	default:
//		// id.KeyID == "key_7Qm2c9TfXw1LpZ0aB4sD", id.Subject == "billing-service"
//	}
//
// The identity shares the record's scopes and metadata: they are read-only.
//
// Records that list client networks (Record.Networks) need the request's
// client address in the context: wrap the server in ClientAddr.Middleware,
// which reads the connection's address and trusts X-Forwarded-For only from
// the proxies it is given.
//
// Keys are named by their record ID or prefix in every error; no error or
// log line made by this package or its stores contains a key.
package apikey
