package wire_test

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"testing"
	"time"

	"github.com/mcgossip/go-discover-mcgossip/provider/mcgossip/wire"
)

// The benchmarks behind the targets of issue 6, on one core (-cpu 1):
// dropping foreign or garbage datagrams under 200 ns, opening an authentic
// one under 2 µs (the largest query, 1163 bytes, included).

// BenchmarkSeal seals a full announce (both endpoints, advertised address,
// port, name, interval, members) with a crypto/rand nonce into a reused
// buffer.
func BenchmarkSeal(b *testing.B) { benchSeal(b, sampleMessages(b)["announce full"]) }

// BenchmarkOpen opens an authentic full announce into a reused message.
func BenchmarkOpen(b *testing.B) { benchOpen(b, sampleMessages(b)["announce full"]) }

// BenchmarkSealQuery seals the largest query (1163 bytes).
func BenchmarkSealQuery(b *testing.B) { benchSeal(b, largestQuery(b)) }

// BenchmarkOpenQuery opens the largest query into a reused message, whose
// Seen filter keeps its storage, and checks the responder's own id.
func BenchmarkOpenQuery(b *testing.B) { benchOpen(b, largestQuery(b)) }

func benchSeal(b *testing.B, m wire.Message) {
	buf := make([]byte, 0, wire.MaxDatagram)
	b.ReportAllocs()
	for b.Loop() {
		var err error
		if buf, err = wire.AppendSeal(buf[:0], testRing, &m, nil); err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(int64(len(buf)))
}

// benchOpen opens the sealed m and, as a responder does, checks whether its
// own id is in the seen filter.
func benchOpen(b *testing.B, m wire.Message) {
	d := sealed(b, m)
	var got wire.Message
	self := id16(0xee)
	b.ReportAllocs()
	b.SetBytes(int64(len(d)))
	for b.Loop() {
		if err := wire.Open(testRing, d, &got); err != nil {
			b.Fatal(err)
		}
		_ = got.Seen.Has(got.Query, self)
	}
}

// largestQuery is a query with both endpoints, a window and the largest seen
// filter, holding 850 ids (1% false positives).
func largestQuery(b *testing.B) wire.Message {
	m := sampleMessages(b)["query"]
	m.Endpoint6 = netip.MustParseAddrPort("[2001:db8::2]:40000")
	m.Window = 300 * time.Millisecond
	bits, hashes := wire.SeenSize(850, 0.01)
	m.Seen = seenOf(b, bits, hashes, m.Query)
	rng := rand.New(rand.NewChaCha8([32]byte{7}))
	for range 850 {
		m.Seen.Add(m.Query, randomID(rng))
	}
	return m
}

// BenchmarkRejectForeign drops valid datagrams of another cookie: the key id
// check rejects them before any crypto.
func BenchmarkRejectForeign(b *testing.B) {
	m := sampleMessages(b)["announce full"]
	d, err := wire.AppendSeal(nil, wire.NewKeyring(otherKey), &m, nil)
	if err != nil {
		b.Fatal(err)
	}
	var msg wire.Message
	b.ReportAllocs()
	for b.Loop() {
		if err := wire.Open(testRing, d, &msg); err != wire.ErrUnknownKey {
			b.Fatal(err)
		}
	}
}

// BenchmarkRejectGarbage drops random datagrams of random lengths up to
// MaxDatagram+1.
func BenchmarkRejectGarbage(b *testing.B) {
	rng := rand.New(rand.NewChaCha8([32]byte{42}))
	var ds [64][]byte
	for i := range ds {
		ds[i] = make([]byte, 1+rng.IntN(wire.MaxDatagram+1))
		for j := range ds[i] {
			ds[i][j] = byte(rng.Uint32())
		}
	}
	var msg wire.Message
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if err := wire.Open(testRing, ds[i%len(ds)], &msg); err == nil {
			b.Fatal("garbage opened")
		}
		i++
	}
}

// BenchmarkRejectForged drops a datagram that carries our key id but a bad
// tag: the cost an attacker who copies the (public) key id can impose, one
// AEAD attempt per datagram.
func BenchmarkRejectForged(b *testing.B) {
	d := sealed(b, sampleMessages(b)["announce full"])
	d[len(d)-1] ^= 1
	var msg wire.Message
	b.ReportAllocs()
	for b.Loop() {
		if err := wire.Open(testRing, d, &msg); err != wire.ErrAuth {
			b.Fatal(err)
		}
	}
}

// benchCookies numbers the cookies of BenchmarkDeriveKey across runs
// (-count), so that none is ever a cache hit.
var benchCookies int

// BenchmarkDeriveKey derives a key from a new cookie each time (no cache
// hit): the one-off cost per engine and cookie.
func BenchmarkDeriveKey(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		benchCookies++
		wire.DeriveKey(fmt.Sprintf("benchmark cookie %d", benchCookies))
	}
}
