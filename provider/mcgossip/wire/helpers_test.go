package wire_test

import (
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/sha256"
	"encoding/hex"
	"net/netip"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/chacha20poly1305"

	"github.com/mcgossip/go-discover-mcgossip/provider/mcgossip/wire"
)

// countingReader yields the bytes next, next+1, ... (mod 256): a
// deterministic nonce source for golden tests.
type countingReader struct{ next byte }

func (r *countingReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = r.next
		r.next++
	}
	return len(p), nil
}

// testMaster is the fixed master secret of the golden tests: 0x00, 0x01, ... 0x1f.
func testMaster() (m [wire.MasterKeyLen]byte) {
	for i := range m {
		m[i] = byte(i)
	}
	return m
}

// testKey is NewKey(testMaster()).
var testKey = wire.NewKey(testMaster())

// otherKey is an unrelated key (another cluster).
var otherKey = func() *wire.Key {
	m := testMaster()
	m[0] ^= 0xff
	return wire.NewKey(m)
}()

var testRing = wire.NewKeyring(testKey)

// specAEAD re-derives, independently of the package, the XChaCha20-Poly1305
// AEAD that the package doc specifies for master: HKDF-Expand-SHA256(master,
// "mcgossip v1 aead key", 32).
func specAEAD(t testing.TB, master [wire.MasterKeyLen]byte) cipher.AEAD {
	t.Helper()
	k, err := hkdf.Expand(sha256.New, master[:], "mcgossip v1 aead key", 32)
	if err != nil {
		t.Fatal(err)
	}
	a, err := chacha20poly1305.NewX(k)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// specKeyID is HKDF-Expand-SHA256(master, "mcgossip v1 key id", 4).
func specKeyID(t testing.TB, master [wire.MasterKeyLen]byte) [4]byte {
	t.Helper()
	id, err := hkdf.Expand(sha256.New, master[:], "mcgossip v1 key id", 4)
	if err != nil {
		t.Fatal(err)
	}
	return [4]byte(id)
}

// specSeal builds a datagram by hand from the spec: header with typ, flags
// and key id, nonce, and body sealed with aead, header as associated data.
func specSeal(aead cipher.AEAD, version, typ, flags byte, id [4]byte, nonce [24]byte, body []byte) []byte {
	hdr := []byte{'m', 'c', 'g', version, typ, flags}
	hdr = append(hdr, id[:]...)
	hdr = append(hdr, nonce[:]...)
	return aead.Seal(hdr, nonce[:], body, hdr)
}

func id16(b byte) (id [16]byte) {
	for i := range id {
		id[i] = b + byte(i)
	}
	return id
}

func mustHex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.Join(strings.Fields(s), ""))
	if err != nil {
		t.Fatalf("bad hex %q: %v", s, err)
	}
	return b
}

// t0 is a fixed time with millisecond precision in UTC, as Open returns it.
var t0 = time.UnixMilli(1_764_000_000_123).UTC()

// sampleMessages covers every type and every address and name form.
func sampleMessages() map[string]wire.Message {
	return map[string]wire.Message{
		"announce minimal": {Type: wire.TypeAnnounce, Instance: id16(1), Time: t0, Counter: 1},
		"announce full": {Type: wire.TypeAnnounce, Instance: id16(1), Time: t0, Counter: 2, Port: 8301,
			Addr: netip.MustParseAddr("198.18.0.1"), Name: "node-a"},
		"query": {Type: wire.TypeQuery, Instance: id16(0x20), Time: t0, Counter: 7, Query: id16(0x80)},
		"answer ipv6": {Type: wire.TypeAnswer, Instance: id16(0x40), Time: t0, Counter: 1 << 40, Query: id16(0x80),
			Port: 65535, Addr: netip.MustParseAddr("2001:db8::1"), Name: "ünïcødé ノード"},
		"leave": {Type: wire.TypeLeave, Instance: id16(1), Time: t0.Add(time.Second), Counter: 3,
			Addr: netip.MustParseAddr("10.0.0.1")},
		"longest": {Type: wire.TypeAnswer, Instance: id16(0xf0), Time: time.UnixMilli(1<<63 - 1).UTC(), Counter: 1<<64 - 1,
			Query: id16(0xa0), Port: 1, Addr: netip.MustParseAddr("ffff::ffff"), Name: strings.Repeat("n", wire.MaxNameLen)},
	}
}

// sealed returns the datagram of m under testRing with a deterministic nonce.
func sealed(t testing.TB, m wire.Message) []byte {
	t.Helper()
	b, err := wire.AppendSeal(nil, testRing, &m, &countingReader{})
	if err != nil {
		t.Fatalf("AppendSeal: %v", err)
	}
	return b
}

// openSpec decrypts datagram with the spec AEAD of testMaster and returns the
// body, or nil.
func openSpec(t testing.TB, datagram []byte) []byte {
	t.Helper()
	if len(datagram) < wire.Overhead {
		return nil
	}
	hdr := datagram[:wire.HeaderLen]
	body, err := specAEAD(t, testMaster()).Open(nil, hdr[10:], datagram[wire.HeaderLen:], hdr)
	if err != nil {
		return nil
	}
	return body
}
