package wire_test

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/mcgossip/go-discover-mcgossip/provider/mcgossip/wire"
)

// The benchmarks behind the targets of issue 6, on one core (-cpu 1):
// dropping foreign or garbage datagrams under 200 ns, opening an authentic
// one under 2 µs.

// BenchmarkSeal seals a full announce (address and name) with a crypto/rand
// nonce into a reused buffer.
func BenchmarkSeal(b *testing.B) {
	m := sampleMessages()["announce full"]
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

// BenchmarkOpen opens an authentic full announce into a reused message.
func BenchmarkOpen(b *testing.B) {
	d := sealed(b, sampleMessages()["announce full"])
	var m wire.Message
	b.ReportAllocs()
	b.SetBytes(int64(len(d)))
	for b.Loop() {
		if err := wire.Open(testRing, d, &m); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRejectForeign drops valid datagrams of another cookie: the key id
// check rejects them before any crypto.
func BenchmarkRejectForeign(b *testing.B) {
	m := sampleMessages()["announce full"]
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
	d := sealed(b, sampleMessages()["announce full"])
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
