package wire_test

import (
	"encoding/hex"
	"math"
	"math/rand/v2"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/mcgossip/go-discover-mcgossip/provider/mcgossip/wire"
)

// filterBytes returns the filter's bits as they travel: the seen field's
// value after its hash count byte.
func filterBytes(t *testing.T, f wire.SeenFilter, q wire.QueryID) string {
	t.Helper()
	m := wire.Message{Type: wire.TypeQuery, Instance: id16(1), Time: t0, Counter: 1, Query: q,
		Endpoint4: netip.MustParseAddrPort("198.18.0.1:1"), Seen: f}
	b, err := wire.AppendMarshal(nil, &m)
	if err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b[48+9+4:]) // core, endpoint4, seen header and hash count
}

// TestSeenFilterBits pins the bit formula of the package doc with filters
// computed independently of the package (by a Python transcription of the
// formula, fmix64 included), with k > m and sums h1 + j·h2 that wrap
// modulo 2^64.
func TestSeenFilterBits(t *testing.T) {
	ones := wire.InstanceID(mustHex(t, "ffffffffffffffff ffffffffffffffff"))
	cases := []struct {
		name         string
		bits, hashes int
		q            wire.QueryID
		ids          []wire.InstanceID
		want         string
	}{
		{"golden query", 64, 3, id16(0x90), []wire.InstanceID{id16(1), id16(0x40)}, "1010400200200080"},
		{"16 bits", 16, 3, id16(0x90), []wire.InstanceID{id16(1), id16(0x40)}, "50b2"},
		{"more hashes than bits", 8, 16, id16(0), []wire.InstanceID{id16(0xf0)}, "ff"},
		{"wrap modulo 2^64", wire.MaxSeenBits, 5, id16(0x33), []wire.InstanceID{ones, id16(0x10)},
			func() string {
				b := make([]byte, 1024)
				for i, v := range map[int]byte{6: 0x40, 47: 0x01, 300: 0x80, 309: 0x08, 563: 0x04, 817: 0x02, 926: 0x04, 952: 0x08, 978: 0x10, 1004: 0x20} {
					b[i] = v
				}
				return hex.EncodeToString(b)
			}()},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := seenOf(t, tc.bits, tc.hashes, tc.q, tc.ids...)
			if got := filterBytes(t, f, tc.q); got != tc.want {
				t.Errorf("filter\n got %s\nwant %s", got, tc.want)
			}
			for _, id := range tc.ids {
				if !f.Has(tc.q, id) {
					t.Errorf("Has(%v) = false after Add", id)
				}
			}
		})
	}
}

// TestSeenFalsePositives measures the false-positive rate of filters sized
// by SeenSize: no false negatives, and a rate of ids never added that matches
// the Bloom filter formula (1-e^(-kn/m))^k, at most the target when the
// size is not capped. The random source is seeded, so the test is
// deterministic.
func TestSeenFalsePositives(t *testing.T) {
	cases := []struct {
		n      int
		p      float64
		capped bool
	}{
		{1, 0.01, false},
		{10, 0.01, false},
		{50, 0.01, false},
		{200, 0.01, false},
		{850, 0.01, false},
		{100, 0.001, false},
		{30, 0.1, false},
		{1, 0.2, false},
		{3, 0.2, false},
		{5, 0.05, false},
		{2000, 0.01, true},
	}
	rng := rand.New(rand.NewChaCha8([32]byte{9}))
	const queries, probes = 40, 5000
	for _, tc := range cases {
		bits, hashes := wire.SeenSize(tc.n, tc.p)
		if capped := bits == wire.MaxSeenBits && float64(tc.n)*math.Log(1/tc.p)/(math.Ln2*math.Ln2) > wire.MaxSeenBits; capped != tc.capped {
			t.Errorf("SeenSize(%d, %g) = %d bits: capped %v, want %v", tc.n, tc.p, bits, capped, tc.capped)
		}
		k, m, n := float64(hashes), float64(bits), float64(tc.n)
		classic := math.Pow(1-math.Exp(-k*n/m), k)
		bound := wire.SeenRate(bits, hashes, tc.n)
		if !tc.capped && bound > tc.p {
			t.Errorf("SeenSize(%d, %g) = %d bits, %d hashes: expected rate %.4g is over the target", tc.n, tc.p, bits, hashes, bound)
		}
		fp := 0
		for range queries {
			q := wire.QueryID(randomID(rng))
			f := seenOf(t, bits, hashes, q)
			for range tc.n {
				id := randomID(rng)
				f.Add(q, id)
				if !f.Has(q, id) {
					t.Fatalf("false negative for %v", id)
				}
			}
			for range probes {
				if f.Has(q, randomID(rng)) {
					fp++
				}
			}
		}
		got := float64(fp) / (queries * probes)
		noise := 5*math.Sqrt(bound/(queries*probes)) + 0.1*bound
		t.Logf("n=%d p=%g: %d bits, %d hashes: classic %.5f, SeenRate %.5f, measured %.5f", tc.n, tc.p, bits, hashes, classic, bound, got)
		if got > bound+noise || got < classic-noise {
			t.Errorf("n=%d p=%g: measured false-positive rate %.5f, expected %.5f to %.5f", tc.n, tc.p, got, classic, bound)
		}
		if !tc.capped && got > tc.p+noise {
			t.Errorf("n=%d p=%g: measured false-positive rate %.5f is over the target", tc.n, tc.p, got)
		}
	}
}

// TestSeenKeyedByQuery checks that the filter of one set of ids under two
// query ids gives independent false positives: an instance wrongly silenced
// by one query is answered in the next, but for chance.
func TestSeenKeyedByQuery(t *testing.T) {
	rng := rand.New(rand.NewChaCha8([32]byte{10}))
	const n, p, probes = 100, 0.05, 200_000
	bits, hashes := wire.SeenSize(n, p)
	q1, q2 := wire.QueryID(randomID(rng)), wire.QueryID(randomID(rng))
	f1, f2 := seenOf(t, bits, hashes, q1), seenOf(t, bits, hashes, q2)
	for range n {
		id := randomID(rng)
		f1.Add(q1, id)
		f2.Add(q2, id)
	}
	var one, both int
	for range probes {
		id := randomID(rng)
		in1, in2 := f1.Has(q1, id), f2.Has(q2, id)
		if in1 {
			one++
		}
		if in1 && in2 {
			both++
		}
	}
	r1, r12 := float64(one)/probes, float64(both)/probes
	t.Logf("%d bits, %d hashes: in one filter %.5f, in both %.6f", bits, hashes, r1, r12)
	if r1 == 0 || r12 > 2*r1*r1+10.0/probes {
		t.Errorf("false positives in one filter %.5f, in both %.6f: not independent", r1, r12)
	}
}

func TestSeenSize(t *testing.T) {
	cases := []struct {
		n            int
		p            float64
		bits, hashes int
	}{
		{0, 0.01, 0, 0},
		{-5, 0.01, 0, 0},
		{1, 0.01, 32, 4},     // the classic m = 9.6 -> 16 bits would match 1.6% (SeenRate)
		{10, 0.01, 128, 6},   // classic m = 96
		{100, 0.01, 1024, 7}, // classic m = 959
		{854, 0.01, wire.MaxSeenBits, 7},
		{100_000, 0.01, wire.MaxSeenBits, 1},
		{1, 1e-30, wire.MaxSeenBits, 4}, // p clamped to 1e-9, out of reach
		{1, 0, wire.MaxSeenBits, 4},
		{1, math.NaN(), wire.MaxSeenBits, 4},
		{1, 1e-5, 1024, 4},
		{1, 1, 8, 2}, // p clamped to 0.5
	}
	for _, tc := range cases {
		bits, hashes := wire.SeenSize(tc.n, tc.p)
		if bits != tc.bits || hashes != tc.hashes {
			t.Errorf("SeenSize(%d, %g) = %d, %d; want %d, %d", tc.n, tc.p, bits, hashes, tc.bits, tc.hashes)
		}
		if _, err := wire.NewSeenFilter(bits, hashes); err != nil {
			t.Errorf("NewSeenFilter(SeenSize(%d, %g)): %v", tc.n, tc.p, err)
		}
	}
}

// TestSeenSizeMinimal checks that SeenSize gives the smallest filter whose
// SeenRate meets the target, for many sizes and targets.
func TestSeenSizeMinimal(t *testing.T) {
	for _, p := range []float64{0.2, 0.05, 0.01, 0.001} {
		for n := 1; n <= 2000; n += 1 + n/8 {
			bits, hashes := wire.SeenSize(n, p)
			if bits == wire.MaxSeenBits {
				continue
			}
			if r := wire.SeenRate(bits, hashes, n); r > p {
				t.Errorf("SeenSize(%d, %g) = %d, %d: SeenRate %g", n, p, bits, hashes, r)
			}
			if bits == 8 {
				continue
			}
			for k := 1; k <= wire.MaxSeenHashes; k++ {
				if r := wire.SeenRate(bits/2, k, n); r <= p {
					t.Errorf("SeenSize(%d, %g) = %d bits, but %d bits and %d hashes give %g", n, p, bits, bits/2, k, r)
				}
				if r := wire.SeenRate(bits, k, n); r < wire.SeenRate(bits, hashes, n) {
					t.Errorf("SeenSize(%d, %g) = %d bits and %d hashes, but %d hashes give less", n, p, bits, hashes, k)
				}
			}
		}
	}
	if r := wire.SeenRate(0, 1, 1); r != 0 {
		t.Errorf("SeenRate of no filter = %g", r)
	}
	if r := wire.SeenRate(8, 16, 1000); r != 1 {
		t.Errorf("SeenRate of a full filter = %g", r)
	}
}

func TestNewSeenFilter(t *testing.T) {
	for _, tc := range []struct {
		bits, hashes int
		err          string
	}{
		{0, 0, ""},
		{8, 1, ""},
		{wire.MaxSeenBits, wire.MaxSeenHashes, ""},
		{0, 1, "size 0 bits: must be a power of two from 8 to 8192"},
		{4, 1, "size 4 bits"},
		{12, 1, "size 12 bits"},
		{2 * wire.MaxSeenBits, 1, "size 16384 bits"},
		{-8, 1, "size -8 bits"},
		{8, 0, "hash count 0: must be 1 to 16"},
		{8, 17, "hash count 17"},
	} {
		f, err := wire.NewSeenFilter(tc.bits, tc.hashes)
		if tc.err == "" {
			if err != nil || f.Bits() != tc.bits || f.Hashes() != tc.hashes {
				t.Errorf("NewSeenFilter(%d, %d) = %d bits, %d hashes, %v", tc.bits, tc.hashes, f.Bits(), f.Hashes(), err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tc.err) || !strings.HasPrefix(err.Error(), "wire: ") {
			t.Errorf("NewSeenFilter(%d, %d): %v, want an error with %q", tc.bits, tc.hashes, err, tc.err)
		}
	}

	// The zero filter holds nothing and takes nothing.
	var zero wire.SeenFilter
	zero.Add(id16(1), id16(2))
	if zero.Has(id16(1), id16(2)) || zero.Bits() != 0 || zero.Hashes() != 0 {
		t.Errorf("the zero filter changed")
	}
	// Clone is independent; a copy shares the storage.
	f := seenOf(t, 64, 2, id16(1), id16(2))
	c, shared := f.Clone(), f
	f.Add(id16(1), id16(0x30))
	if c.Has(id16(1), id16(0x30)) || !shared.Has(id16(1), id16(0x30)) {
		t.Errorf("Clone shares the storage, or a copy does not")
	}
	if !c.Has(id16(1), id16(2)) || c.Equal(&f) || !shared.Equal(&f) {
		t.Errorf("Clone or Equal is wrong")
	}
	if zc := zero.Clone(); zc.Bits() != 0 || !zc.Equal(&zero) {
		t.Errorf("Clone of the zero filter is not zero")
	}
}

// TestLargestQuery checks that the largest query this version can build fits
// MaxDatagram, and the sizes the package doc gives.
func TestLargestQuery(t *testing.T) {
	m := sampleMessages(t)["query"]
	m.Endpoint6 = netip.MustParseAddrPort("[2001:db8::2]:40000")
	m.Window = time.Second
	m.Seen = seenOf(t, wire.MaxSeenBits, wire.MaxSeenHashes, m.Query, id16(1))
	d := sealed(t, m)
	if len(d) != 1163 || len(d) > wire.MaxDatagram {
		t.Errorf("largest query: %d bytes, want 1163 (MaxDatagram %d)", len(d), wire.MaxDatagram)
	}
	var got wire.Message
	if err := wire.Open(testRing, d, &got); err != nil || !equalMessage(t, got, m) {
		t.Errorf("largest query: %v", err)
	}
	// The sizes of the package doc's table.
	msgs := sampleMessages(t)
	announce := msgs["longest answer"]
	announce.Type, announce.Query, announce.Window = wire.TypeAnnounce, wire.QueryID{}, 0
	answer := msgs["answer"]
	answer.Advertise, answer.Port, answer.Name, answer.Window = netip.Addr{}, 0, "", 0
	msgs["largest announce"], msgs["smallest answer"] = announce, answer
	sizes := map[string]int{"leave": 98, "query": 107, "announce minimal": 114, "smallest answer": 121,
		"largest announce": 233, "longest answer": 240}
	for name, want := range sizes {
		if got := len(sealed(t, msgs[name])); got != want {
			t.Errorf("%s: %d bytes, want %d", name, got, want)
		}
	}
}
