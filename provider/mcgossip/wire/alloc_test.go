package wire_test

import (
	"math/rand/v2"
	"testing"

	"github.com/mcgossip/go-discover-mcgossip/provider/mcgossip/wire"
)

// TestOpenAllocations checks that Open allocates nothing on any reject path,
// nothing on success when the name is unchanged, and only the name otherwise.
func TestOpenAllocations(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are meaningless under the race detector")
	}
	full := sampleMessages()["announce full"]
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
	badBody := specSealed(t, wire.TypeQuery, validBody(t)) // a query without query id

	cases := []struct {
		name string
		d    []byte
		m    wire.Message // the message opened into
		max  float64
	}{
		{"garbage", garbage, wire.Message{}, 0},
		{"short", valid[:60], wire.Message{}, 0},
		{"too large", make([]byte, 600), wire.Message{}, 0},
		{"foreign", foreign, wire.Message{}, 0},
		{"forged", forged, wire.Message{}, 0},
		{"bad body", badBody, wire.Message{}, 0},
		{"authentic, same name", valid, wire.Message{Name: full.Name}, 0},
		{"authentic, new name", valid, wire.Message{Name: "other"}, 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := testing.AllocsPerRun(200, func() {
				m := tc.m // fresh each run, so "new name" allocates every time
				_ = wire.Open(testRing, tc.d, &m)
			})
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
	m := sampleMessages()["answer ipv6"]
	buf := make([]byte, 0, wire.MaxDatagram)
	r := &countingReader{}
	got := testing.AllocsPerRun(200, func() {
		_, _ = wire.AppendSeal(buf[:0], testRing, &m, r)
	})
	if got > 0 {
		t.Errorf("AppendSeal allocates %.1f times, want 0", got)
	}
}
