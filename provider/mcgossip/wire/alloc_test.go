package wire_test

import (
	"math/rand/v2"
	"testing"

	"github.com/mcgossip/go-discover-mcgossip/provider/mcgossip/wire"
)

// TestOpenAllocations checks that Open allocates nothing on any reject path,
// nothing on success when the name is unchanged and the filter fits the
// storage m.Seen has, and otherwise only the name and the filter's storage.
func TestOpenAllocations(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are meaningless under the race detector")
	}
	msgs := sampleMessages(t)
	full, answer, q := msgs["announce full"], msgs["answer"], msgs["query seen"]
	valid := sealed(t, full)
	foreign, err := wire.AppendSeal(nil, wire.NewKeyring(otherKey), &full, nil)
	if err != nil {
		t.Fatal(err)
	}
	forged := append([]byte(nil), valid...)
	forged[len(forged)-1] ^= 1
	garbage := make([]byte, 150)
	rng := rand.NewChaCha8([32]byte{1})
	_, _ = rng.Read(garbage)
	withStorage := wire.Message{Seen: seenOf(t, wire.MaxSeenBits, 1, wire.QueryID{})}

	cases := []struct {
		name string
		d    []byte
		m    wire.Message // the message opened into
		max  float64      // allocations at most
		ok   bool         // it opens
	}{
		{"garbage", garbage, wire.Message{}, 0, false},
		{"short", valid[:60], wire.Message{}, 0, false},
		{"too large", make([]byte, wire.MaxDatagram+1), wire.Message{}, 0, false},
		{"version 1", append([]byte("mcg\x01"), garbage...), wire.Message{}, 0, false},
		{"foreign", foreign, wire.Message{}, 0, false},
		{"forged", forged, wire.Message{}, 0, false},
		{"bad core", specSealed(t, wire.TypeQuery, append(core(wire.TypeLeave), validFields(wire.TypeQuery)...)), wire.Message{}, 0, false},
		{"bad field", specSealed(t, wire.TypeAnswer, bodyWith(wire.TypeAnswer, map[byte][]byte{tagName: []byte("\x00")})), wire.Message{}, 0, false},
		{"field in the wrong type", specSealed(t, wire.TypeLeave, bodyWith(wire.TypeLeave, map[byte][]byte{tagPort: {1, 1}})), wire.Message{}, 0, false},
		{"missing field", specSealed(t, wire.TypeAnswer, bodyWith(wire.TypeAnswer, map[byte][]byte{tagMembers: nil})), wire.Message{}, 0, false},
		{"unknown critical field", specSealed(t, wire.TypeQuery, bodyWith(wire.TypeQuery, map[byte][]byte{0x80: {}})), wire.Message{}, 0, false},
		{"announce, same name", valid, wire.Message{Name: full.Name}, 0, true},
		{"announce, new name", valid, wire.Message{Name: "other"}, 1, true},
		{"answer, new name", sealed(t, answer), wire.Message{}, 1, true},
		{"query, filter fits", sealed(t, q), withStorage, 0, true},
		{"query, filter grows", sealed(t, q), wire.Message{}, 1, true},
		{"unknown fields skipped", specSealed(t, wire.TypeLeave, bodyWith(wire.TypeLeave, map[byte][]byte{0x0a: {1, 2}})), wire.Message{}, 0, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var err error
			got := testing.AllocsPerRun(200, func() {
				m := tc.m // fresh each run, so "new name" allocates every time
				err = wire.Open(testRing, tc.d, &m)
			})
			if (err == nil) != tc.ok {
				t.Errorf("Open: %v, want ok=%v", err, tc.ok)
			}
			if got > tc.max {
				t.Errorf("Open allocates %.1f times, want at most %.0f", got, tc.max)
			}
		})
	}
}

// TestSealAllocations checks that AppendSeal into a buffer with room does not
// allocate.
func TestSealAllocations(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are meaningless under the race detector")
	}
	for name, m := range sampleMessages(t) {
		buf := make([]byte, 0, wire.MaxDatagram)
		r := &countingReader{}
		got := testing.AllocsPerRun(200, func() {
			_, _ = wire.AppendSeal(buf[:0], testRing, &m, r)
		})
		if got > 0 {
			t.Errorf("AppendSeal of %s allocates %.1f times, want 0", name, got)
		}
	}
}
