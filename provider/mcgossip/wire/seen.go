package wire

import (
	"encoding/binary"
	"fmt"
	"math"
)

// Seen filter bounds (see the package doc): the filter is 8 to MaxSeenBits
// bits, a power of two, with 1 to MaxSeenHashes hashes. The largest query
// (both endpoints, a window and the largest filter) is 1163 bytes sealed,
// within MaxDatagram.
const (
	MaxSeenBits   = 8192
	MaxSeenHashes = 16
	minSeenBits   = 8
)

// SeenFilter is a Bloom filter of instance ids, carried by a Query as the
// instances its sender already knows, so that they stay silent. Its bits are
// keyed by the query id: a given instance falsely in the filter of one query
// is in the filter of another only by chance again.
//
// The zero SeenFilter is empty and means "no filter": Add does nothing to
// it and Has reports false. Make one with NewSeenFilter. A SeenFilter value
// shares its storage with its copies; use Clone for an independent one.
type SeenFilter struct {
	k    uint8  // hashes, 1 to MaxSeenHashes; 0: no filter
	bits []byte // bit i is bits[i/8] >> (i%8) & 1; a power of two of bytes
}

// NewSeenFilter returns an empty filter of the given number of bits and
// hashes (a power of two from 8 to MaxSeenBits, and 1 to MaxSeenHashes); 0
// and 0 give the zero SeenFilter. SeenSize chooses both for a number of ids.
func NewSeenFilter(bits, hashes int) (SeenFilter, error) {
	if bits == 0 && hashes == 0 {
		return SeenFilter{}, nil
	}
	if bits < minSeenBits || bits > MaxSeenBits || bits&(bits-1) != 0 {
		return SeenFilter{}, fmt.Errorf("wire: invalid seen filter size %d bits: must be a power of two from %d to %d", bits, minSeenBits, MaxSeenBits)
	}
	if hashes < 1 || hashes > MaxSeenHashes {
		return SeenFilter{}, fmt.Errorf("wire: invalid seen filter hash count %d: must be 1 to %d", hashes, MaxSeenHashes)
	}
	return SeenFilter{k: uint8(hashes), bits: make([]byte, bits/8)}, nil
}

// SeenSize returns the size in bits and the number of hashes of a filter for
// n instance ids with a false-positive rate of at most p (clamped to 1e-9 to
// 0.5): the smallest power of two m from 8 to MaxSeenBits for which some k
// from 1 to MaxSeenHashes has an expected rate SeenRate(m, k, n) of at most
// p, with the k of the lowest rate. For n <= 0 it returns 0, 0 (no filter).
// Above about 850 ids at p = 1% the size is capped at MaxSeenBits and the
// rate exceeds p.
func SeenSize(n int, p float64) (bits, hashes int) {
	if n <= 0 {
		return 0, 0
	}
	if math.IsNaN(p) {
		p = 1e-9
	}
	p = min(max(p, 1e-9), 0.5)
	for bits = minSeenBits; ; bits <<= 1 {
		best := math.Inf(1)
		for k := 1; k <= MaxSeenHashes; k++ {
			if r := SeenRate(bits, k, n); r < best {
				best, hashes = r, k
			}
		}
		if best <= p || bits == MaxSeenBits {
			return bits, hashes
		}
	}
}

// SeenRate returns the expected false-positive rate of a filter of m bits
// and k hashes holding n ids: the classic Bloom filter rate f^k, with
// f = 1 - e^(-kn/m) the share of bits set, plus what the double hashing of
// the bit formula adds, 4n/m²·(1+f)/(1-f) (an id whose two hashes equal
// those of a held id modulo m, in either direction, or equal its step and
// overlap its bits in part). The second term matters for small filters
// only, but there it dominates: one id in 16 bits with 11 hashes is matched
// by 1.6% of other ids, not by the 0.05% of the classic formula. The
// estimate errs high; measured rates lie between the classic rate and it.
func SeenRate(m, k, n int) float64 {
	if m <= 0 || k <= 0 || n <= 0 {
		return 0
	}
	fm, fk, fn := float64(m), float64(k), float64(n)
	f := 1 - math.Exp(-fk*fn/fm)
	return min(math.Pow(f, fk)+4*fn/(fm*fm)*(1+f)/(1-f), 1)
}

// Bits returns the size of the filter in bits, 0 for the zero filter.
func (f *SeenFilter) Bits() int { return 8 * len(f.bits) }

// Hashes returns the number of hashes per id, 0 for the zero filter.
func (f *SeenFilter) Hashes() int { return int(f.k) }

// Add puts the instance id into the filter of the query q. It does nothing
// to the zero filter.
func (f *SeenFilter) Add(q QueryID, id InstanceID) {
	h1, h2, mask := f.hash(q, id)
	for j := range uint64(f.k) {
		i := (h1 + j*h2) & mask
		f.bits[i>>3] |= 1 << (i & 7)
	}
}

// Has reports whether the instance id may be in the filter of the query q:
// always when it was added, and for another id with the filter's false
// positive rate. The zero filter has nothing.
func (f *SeenFilter) Has(q QueryID, id InstanceID) bool {
	if f.k == 0 {
		return false
	}
	h1, h2, mask := f.hash(q, id)
	for j := range uint64(f.k) {
		i := (h1 + j*h2) & mask
		if f.bits[i>>3]&(1<<(i&7)) == 0 {
			return false
		}
	}
	return true
}

// hash returns the two hashes of id in the filter of q and the bit mask of a
// filter index. Bit j of id x, for j < k and a filter of m bits, is
// (h1 + j·h2) mod m, where h1 = fmix64(BE64(x[0:8] xor q[0:8])) and
// h2 = fmix64(BE64(x[8:16] xor q[8:16])) | 1, odd so that the k bits differ
// while k <= m. All arithmetic is modulo 2^64, which m divides.
func (f *SeenFilter) hash(q QueryID, id InstanceID) (h1, h2, mask uint64) {
	h1 = fmix64(binary.BigEndian.Uint64(id[0:8]) ^ binary.BigEndian.Uint64(q[0:8]))
	h2 = fmix64(binary.BigEndian.Uint64(id[8:16])^binary.BigEndian.Uint64(q[8:16])) | 1
	return h1, h2, uint64(len(f.bits))*8 - 1
}

// fmix64 is the 64-bit finalizer of MurmurHash3: a bijection whose low bits
// depend on every input bit. Without it the low bits of x xor q, which alone
// choose the filter's bits, would collide for two ids under every query id.
func fmix64(z uint64) uint64 {
	z ^= z >> 33
	z *= 0xff51afd7ed558ccd
	z ^= z >> 33
	z *= 0xc4ceb9fe1a85ec53
	z ^= z >> 33
	return z
}

// Clone returns a filter with the same content and storage of its own.
func (f *SeenFilter) Clone() SeenFilter {
	if f.k == 0 {
		return SeenFilter{}
	}
	return SeenFilter{k: f.k, bits: append([]byte(nil), f.bits...)}
}

// Equal reports whether f and g have the same size, hashes and bits.
func (f *SeenFilter) Equal(g *SeenFilter) bool {
	return f.k == g.k && string(f.bits) == string(g.bits)
}

// valid reports whether f is a well-formed nonzero filter.
func (f *SeenFilter) valid() bool {
	n := len(f.bits)
	return f.k >= 1 && f.k <= MaxSeenHashes && n >= minSeenBits/8 && n <= MaxSeenBits/8 && n&(n-1) == 0
}

// decode sets f to the filter of k hashes and the given bits, reusing f's
// storage when it is large enough; the caller has checked both.
func (f *SeenFilter) decode(k byte, b []byte) {
	f.k = k
	f.bits = append(f.bits[:0], b...)
}

// reset empties f (no filter) and keeps its storage for the next decode.
func (f *SeenFilter) reset() {
	f.k = 0
	f.bits = f.bits[:0]
}
