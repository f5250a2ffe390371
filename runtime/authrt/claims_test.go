package authrt

import (
	"encoding/json"
	"testing"
)

// TestClaimNumbersExact: integer claims compare exactly with integer rule
// values, beyond the 2^53 where float64 stops telling neighbours apart,
// and still by value across Go types below it.
func TestClaimNumbersExact(t *testing.T) {
	tests := []struct {
		claim, want any
		equal       bool
	}{
		{json.Number("9007199254740992"), int64(9007199254740993), false},
		{json.Number("9007199254740993"), int64(9007199254740993), true},
		{float64(9007199254740992), int64(9007199254740993), false},
		{json.Number("9007199254740993"), float64(9007199254740992), false},
		{json.Number("9223372036854775807"), float64(1 << 63), false},
		{json.Number("2"), 2, true},
		{json.Number("2.0"), 2, true},
		{json.Number("2e0"), 2, true},
		{float64(2), 2, true},
		{json.Number("2.5"), 2.5, true},
		{json.Number("2.5"), 2, false},
		{json.Number("3"), 2, false},
		{"2", 2, false},
		{json.Number("2"), "2", false},
	}
	for _, tt := range tests {
		r := &ClaimRule{Claim: "n", Op: ClaimEquals, Values: []any{tt.want}}
		id := &Identity{Claims: map[string]any{"n": tt.claim}}
		if got := r.holds([]*Identity{id}); got != tt.equal {
			t.Errorf("claim %#v equals rule %#v: %v, want %v", tt.claim, tt.want, got, tt.equal)
		}
	}
}
