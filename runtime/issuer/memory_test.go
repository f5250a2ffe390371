package issuer_test

import (
	"testing"

	"github.com/authgen/authgen/runtime/issuer"
	"github.com/authgen/authgen/runtime/issuer/issuertest"
)

func TestMemoryStore(t *testing.T) {
	issuertest.Run(t, func(*testing.T) issuer.Store { return issuer.NewMemoryStore() })
}
