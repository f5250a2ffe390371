package jwtauth

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

func TestCheckObject(t *testing.T) {
	many := func(dupAt int) string {
		var b strings.Builder
		b.WriteString("{")
		for i := 0; i < 40; i++ {
			if i > 0 {
				b.WriteString(",")
			}
			name := i
			if i == dupAt {
				name = 3
			}
			fmt.Fprintf(&b, `"k%d":%d`, name, i)
		}
		b.WriteString("}")
		return b.String()
	}
	tests := []struct {
		json string
		want string // "" ok, "dup", "bad"
	}{
		{`{}`, ""},
		{" \t\r\n{ } \n", ""},
		{`{"a":1,"b":{"a":1},"c":[{"a":1},{"a":2}]}`, ""},
		{`{"a":"x","A":"y"}`, ""},
		{`{"s":"\"\\\/\b\f\n\r\t\u00e9"}`, ""},
		{`{"n":[0,-1,1.5,-0.0e+10,2E-3,12345678901234567890]}`, ""},
		{`{"t":true,"f":false,"z":null}`, ""},
		{"{\"é\":1,\"e\u0301\":2}", ""}, // not normalized: different names
		{many(-1), ""},
		{`{"a":1,"a":1}`, "dup"},
		{`{"a":1,"b":2,"a":3}`, "dup"},
		{`{"a":{"b":1,"b":2}}`, "dup"},
		{`{"a":[1,{"b":1,"b":2}]}`, "dup"},
		{`{"a":1,"\u0061":2}`, "dup"},
		{`{"\ud800":1,"\udc00":2}`, "dup"}, // both decode to U+FFFD
		{"{\"\ufffd\":1,\"\\udfff\":2}", "dup"},
		{many(30), "dup"},
		{``, "bad"},
		{`[]`, "bad"},
		{`null`, "bad"},
		{`"a"`, "bad"},
		{`{`, "bad"},
		{`{"a"}`, "bad"},
		{`{"a":}`, "bad"},
		{`{"a":1,}`, "bad"},
		{`{"a":1}}`, "bad"},
		{`{"a":1}{}`, "bad"},
		{`{a:1}`, "bad"},
		{`{'a':1}`, "bad"},
		{`{"a":01}`, "bad"},
		{`{"a":1.}`, "bad"},
		{`{"a":.5}`, "bad"},
		{`{"a":+1}`, "bad"},
		{`{"a":1e}`, "bad"},
		{`{"a":NaN}`, "bad"},
		{`{"a":tru}`, "bad"},
		{`{"a":[1,]}`, "bad"},
		{`{"a":"\x"}`, "bad"},
		{`{"a":"\u12"}`, "bad"},
		{"{\"a\":\"\x01\"}", "bad"},
		{"{\"a\":\"\xff\"}", "bad"},
		{"{\"a\":1}\x00", "bad"},
		{strings.Repeat(`{"a":`, maxJSONDepth) + "1" + strings.Repeat("}", maxJSONDepth), ""},
		{strings.Repeat(`{"a":`, maxJSONDepth+1) + "1" + strings.Repeat("}", maxJSONDepth+1), "bad"},
		{`{"a":` + strings.Repeat("[", maxJSONDepth) + strings.Repeat("]", maxJSONDepth) + "}", "bad"},
	}
	for _, tt := range tests {
		err := checkObject([]byte(tt.json))
		var dup *errDuplicate
		got := ""
		switch {
		case errors.As(err, &dup):
			got = "dup"
		case err != nil:
			got = "bad"
		}
		if got != tt.want {
			t.Errorf("checkObject(%.60q) = %v, want %q", tt.json, err, tt.want)
		}
		// Whatever checkObject accepts, encoding/json must accept too.
		if err == nil && !json.Valid([]byte(tt.json)) {
			t.Errorf("checkObject accepts %.60q, encoding/json does not", tt.json)
		}
	}
}

// FuzzCheckObject: checkObject never accepts what encoding/json refuses, and
// refuses a valid JSON object only for a repeated name or a deep nesting.
func FuzzCheckObject(f *testing.F) {
	for _, s := range []string{`{}`, `{"a":1,"a":2}`, `{"a":[{"b":"\u0062"}]}`, `{"a":1e5,"b":null}`, `[1]`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		err := checkObject(data)
		valid := json.Valid(data)
		if err == nil {
			if !valid {
				t.Fatalf("accepted invalid JSON %q", data)
			}
			var m map[string]any
			if json.Unmarshal(data, &m) != nil || m == nil {
				t.Fatalf("accepted %q, not an object", data)
			}
			return
		}
		var dup *errDuplicate
		if valid && errors.As(err, &dup) {
			return
		}
		if valid && strings.HasPrefix(strings.TrimLeft(string(data), " \t\r\n"), "{") &&
			!strings.Contains(err.Error(), "nested too deeply") && !strings.Contains(err.Error(), "UTF-8") {
			t.Fatalf("refused valid object %q: %v", data, err)
		}
	})
}

// FuzzDecodeObject: decodeObject accepts exactly what checkObject accepts,
// and decodes it as encoding/json with UseNumber does.
func FuzzDecodeObject(f *testing.F) {
	for _, s := range []string{`{}`, `{"a":1,"a":2}`, `{"a":[{"b":"\u0062"}]}`, `{"a":1e5,"b":null,"c":[],"d":{}}`,
		`{"a":"\u0061","\u0061":1}`, `{"s":"\ud800x","t":true,"f":false,"n":-0.5E+3}`, `[1]`, `{"a":1} x`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := decodeObject(data)
		checkErr := checkObject(data)
		if (err == nil) != (checkErr == nil) {
			t.Fatalf("decodeObject(%q) = %v, checkObject = %v", data, err, checkErr)
		}
		var dup1, dup2 *errDuplicate
		if errors.As(err, &dup1) != errors.As(checkErr, &dup2) {
			t.Fatalf("duplicate verdicts differ on %q: %v, %v", data, err, checkErr)
		}
		if err != nil {
			return
		}
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.UseNumber()
		var want map[string]any
		if err := dec.Decode(&want); err != nil {
			t.Fatalf("encoding/json refuses %q: %v", data, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("decodeObject(%q) = %#v, encoding/json gives %#v", data, got, want)
		}
	})
}

// TestJSONFoldAsEncodingJSON: two member names fold to one string exactly
// when encoding/json would decode both into the same struct field.
func TestJSONFoldAsEncodingJSON(t *testing.T) {
	names := []string{"status", "STATUS", "Status", "\u017ftatus", "\u212aey", "key", "KEY",
		"\u03d1eta", "\u03b8eta", "\u0398ETA", "\u03f4eta", "stra\u00dfe", "STRASSE", "stra\u1e9ee", "\u00b5", "\u03bc", "\u039c", "x"}
	for _, field := range names {
		for _, other := range names {
			// Decode {"<other>": 1} into a struct whose only field is tagged <field>.
			typ := reflect.StructOf([]reflect.StructField{{Name: "F", Type: reflect.TypeFor[int](), Tag: reflect.StructTag(`json:"` + field + `"`)}})
			v := reflect.New(typ)
			if err := json.Unmarshal([]byte(`{"`+other+`":1}`), v.Interface()); err != nil {
				t.Fatal(err)
			}
			matched := v.Elem().Field(0).Int() == 1
			if folded := jsonFold(field) == jsonFold(other); folded != matched {
				t.Errorf("%q vs %q: encoding/json matches %v, jsonFold equal %v", field, other, matched, folded)
			}
		}
	}
}
