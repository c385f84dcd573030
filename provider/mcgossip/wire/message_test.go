package wire_test

import (
	"strings"
	"testing"

	"github.com/mcgossip/go-discover-mcgossip/provider/mcgossip/wire"
)

func TestTypeString(t *testing.T) {
	cases := map[wire.Type]string{
		wire.TypeAnnounce: "announce", wire.TypeQuery: "query", wire.TypeAnswer: "answer",
		wire.TypeLeave: "leave", 0: "type(0)", 5: "type(5)", 255: "type(255)",
	}
	for typ, want := range cases {
		if got := typ.String(); got != want {
			t.Errorf("Type(%d).String() = %q, want %q", uint8(typ), got, want)
		}
		if valid := want[0] != 't'; typ.Valid() != valid {
			t.Errorf("Type(%d).Valid() = %v, want %v", uint8(typ), typ.Valid(), valid)
		}
	}
	if got := wire.InstanceID(id16(0)).String(); got != "000102030405060708090a0b0c0d0e0f" {
		t.Errorf("InstanceID.String() = %q", got)
	}
	if got := wire.QueryID(id16(0xf0)).String(); got != "f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff" {
		t.Errorf("QueryID.String() = %q", got)
	}
	if !(wire.InstanceID{}).IsZero() || wire.InstanceID(id16(1)).IsZero() || !(wire.QueryID{}).IsZero() || wire.QueryID(id16(1)).IsZero() {
		t.Errorf("IsZero is wrong")
	}
}

func TestCheckName(t *testing.T) {
	cases := []struct {
		name string
		ok   bool
	}{
		{"", true},
		{"node-a", true},
		{"web 1.example.com", true},
		{"ünïcødé ノード", true},
		{strings.Repeat("x", wire.MaxNameLen), true},
		{strings.Repeat("x", wire.MaxNameLen+1), false},
		{strings.Repeat("ノ", 22), false}, // 66 bytes
		{"tab\there", false},
		{"new\nline", false},
		{"nul\x00", false},
		{"del\x7f", false},
		{"c1\u0085ctl", false},
		{"zero\u200bwidth", false},
		{"bad\xffutf8", false},
		{"replacement\ufffd", false},
		{"nbsp\u00a0", false},
	}
	for _, tc := range cases {
		err := wire.CheckName(tc.name)
		if (err == nil) != tc.ok {
			t.Errorf("CheckName(%q) = %v, want ok=%v", tc.name, err, tc.ok)
		}
		// Open applies the same rule as CheckName.
		if len(tc.name) > 0 && len(tc.name) <= 255 {
			body := bodyWith(wire.TypeAnswer, map[byte][]byte{tagName: []byte(tc.name)})
			var got wire.Message
			err = wire.Open(testRing, specSealed(t, wire.TypeAnswer, body), &got)
			if (err == nil) != tc.ok {
				t.Errorf("Open with name %q = %v, want ok=%v", tc.name, err, tc.ok)
			}
		}
	}
}
