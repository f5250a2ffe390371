package filestore

import (
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/authgen/authgen/runtime/apikey"
	"github.com/authgen/authgen/runtime/apikey/internal/admintest"
)

// handYAML is a key file as a person would write it: unquoted timestamps,
// flow lists, integers in metadata, a comment.
const handYAML = `# production keys
- id: key_billing
  name: billing-service
  prefix: sk_live
  hash: sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
  scopes: [chat:generate, models:read]
  created_at: 2025-06-01T12:00:00Z
  expires_at: 2026-06-01T00:00:00Z
  networks: [10.0.0.0/8, 2001:db8::/32]
  metadata:
    plan: pro
    rpm: 600
    models: [small, large]
- id: key_old
  hash: sha256:60303ae22b998861bce3b28f33eec1be758a213c86c93c076dbe9f558c11c752
  revoked: true
`

func TestDecodeHandWrittenYAML(t *testing.T) {
	records, err := Decode([]byte(handYAML), YAML)
	if err != nil {
		t.Fatal(err)
	}
	if len(records) != 2 {
		t.Fatalf("%d records, want 2", len(records))
	}
	r := records[0]
	if r.ID != "key_billing" || r.Prefix != "sk_live" || len(r.Scopes) != 2 ||
		!r.ExpiresAt.Equal(time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)) ||
		len(r.Networks) != 2 || r.Networks[1] != netip.MustParsePrefix("2001:db8::/32") ||
		r.Metadata["plan"] != "pro" || r.Metadata["rpm"] != 600.0 {
		t.Errorf("record = %+v", r)
	}
	if !records[1].Revoked {
		t.Errorf("second record not revoked: %+v", records[1])
	}
}

func TestDecodeRejects(t *testing.T) {
	const h = `"hash":"sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"`
	tests := []struct {
		name string
		f    Format
		data string
		want string
	}{
		{"empty JSON", JSON, " \n", "the file is empty"},
		{"empty YAML", YAML, "# nothing\n", "no YAML value"},
		{"JSON object", JSON, `{"id":"k1"}`, "want a list of records"},
		{"JSON syntax", JSON, "[\n {\"id\": \"k1\",,}\n]", "line 2, column"},
		{"JSON unknown field", JSON, `[{"id":"k1",` + h + `,"expires":"2026-01-01T00:00:00Z"}]`, `record 1 (id k1): unknown field "expires"`},
		{"JSON member in another case", JSON, `[{"id":"k1",` + h + `,"revoked":true,"REVOKED":false}]`, `record 1 (id k1): unknown field "REVOKED"`},
		{"YAML key in another case", YAML, "- id: k1\n  hash: sha256:00\n  Revoked: false\n", `unknown field "Revoked"`},
		{"JSON null", JSON, `[{"id":"k1",` + h + `,"expires_at":null}]`, `field "expires_at" is null`},
		{"YAML empty value", YAML, "- id: k1\n  hash: sha256:00\n  expires_at:\n", `field "expires_at" is null`},
		{"YAML tilde", YAML, "- id: k1\n  hash: sha256:00\n  networks: ~\n", `field "networks" is null`},
		{"JSON duplicate member", JSON, `[{"id":"k1",` + h + `,"revoked":true,"revoked":false}]`, `member "revoked" appears twice`},
		{"JSON duplicate nested", JSON, `[{"id":"k1",` + h + `,"metadata":{"a":1,"a":2}}]`, `member "a" appears twice`},
		{"bad hash", JSON, `[{"id":"k1","hash":"md5:00"}]`, `record 1 (id k1)`},
		{"bad time", YAML, "- id: k1\n  hash: sha256:00\n  expires_at: tomorrow\n", "record 1 (id k1)"},
		{"bad network", JSON, `[{"id":"k1",` + h + `,"networks":["10.0.0.0/33"]}]`, `record 1 (id k1)`},
		{"YAML duplicate key", YAML, "- id: k1\n  id: k2\n", "already defined"},
		{"YAML mapping", YAML, "id: k1\n", "want a list of records"},
		{"YAML non-string key", YAML, "- id: k1\n  metadata: {1: one}\n", "does not map to records"},
		{"YAML syntax", YAML, "- id: [k1\n", "yaml"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Decode([]byte(tc.data), tc.f)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Decode error = %v, want containing %q", err, tc.want)
			}
		})
	}
}

func TestEncodeRoundTrip(t *testing.T) {
	r := apikey.NewRecord("key_1", "alice", "sk_test_encode_0123456789", "chat:generate", "models:read")
	r.Prefix = "sk_test"
	r.CreatedAt = admintest.T0
	r.ExpiresAt = admintest.T0.Add(time.Hour)
	r.Networks = []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}
	r.Metadata = map[string]any{"plan": "pro", "rpm": 600.0, "ratio": 0.5, "models": []any{"a", "b"}, "beta": true, "note": nil}
	old := apikey.NewRecord("key_0", "", "sk_test_encode_old_0123456")
	old.Revoked = true
	for _, f := range []Format{JSON, YAML} {
		data, err := Encode([]apikey.Record{old, r}, f)
		if err != nil {
			t.Fatal(err)
		}
		back, err := Decode(data, f)
		if err != nil {
			t.Fatalf("%v: decode what Encode wrote: %v\n%s", f, err, data)
		}
		if len(back) != 2 || admintest.Diff(&old, &back[0]) != "" || admintest.Diff(&r, &back[1]) != "" {
			t.Fatalf("%v: round trip changed the records:\n%s", f, data)
		}
		if f == YAML {
			for _, want := range []string{yamlHeader, "- id: key_0\n", "  scopes: ['chat:generate', 'models:read']\n",
				"  networks: [10.0.0.0/8]\n", "  hash: sha256:"} {
				if !strings.Contains(string(data), want) {
					t.Errorf("YAML lacks %q:\n%s", want, data)
				}
			}
			// Field order is the record's, as in JSON.
			if strings.Index(string(data), "id: key_1") > strings.Index(string(data), "name: alice") {
				t.Errorf("YAML fields out of order:\n%s", data)
			}
		}
	}
	if data, _ := Encode(nil, JSON); string(data) != "[]\n" {
		t.Errorf("Encode(nil, JSON) = %q, want []", data)
	}
	if data, _ := Encode(nil, YAML); !strings.HasSuffix(string(data), "[]\n") {
		t.Errorf("Encode(nil, YAML) = %q, want []", data)
	}
}
