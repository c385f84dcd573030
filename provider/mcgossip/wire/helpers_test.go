package wire_test

import (
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"math/rand/v2"
	"net/netip"
	"reflect"
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
	b, err := hex.DecodeString(strings.Join(strings.Fields(strings.ReplaceAll(s, "|", "")), ""))
	if err != nil {
		t.Fatalf("bad hex %q: %v", s, err)
	}
	return b
}

// t0 is a fixed time with millisecond precision in UTC, as Open returns it.
var t0 = time.UnixMilli(1_764_000_000_123).UTC()

// seenOf returns a filter of bits and hashes holding ids for the query q.
func seenOf(t testing.TB, bits, hashes int, q wire.QueryID, ids ...wire.InstanceID) wire.SeenFilter {
	t.Helper()
	f, err := wire.NewSeenFilter(bits, hashes)
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range ids {
		f.Add(q, id)
	}
	return f
}

// sampleMessages covers every type, every field and the longest answer.
func sampleMessages(t testing.TB) map[string]wire.Message {
	ep := netip.MustParseAddrPort
	return map[string]wire.Message{
		"announce minimal": {Type: wire.TypeAnnounce, Instance: id16(1), Time: t0, Counter: 1,
			Endpoint4: ep("198.18.0.1:7946"), Interval: time.Second},
		"announce full": {Type: wire.TypeAnnounce, Instance: id16(1), Time: t0, Counter: 2,
			Endpoint4: ep("198.18.0.1:7946"), Endpoint6: ep("[2001:db8::1]:7946"),
			Advertise: netip.MustParseAddr("203.0.113.7"), Port: 8301, Name: "node-a",
			Interval: 1500 * time.Millisecond, Members: 3},
		"query": {Type: wire.TypeQuery, Instance: id16(0x20), Time: t0, Counter: 7, Query: id16(0x80),
			Endpoint4: ep("198.18.0.2:40000")},
		"query seen": {Type: wire.TypeQuery, Instance: id16(0x20), Time: t0, Counter: 8, Query: id16(0x90),
			Endpoint6: ep("[fe80::1]:40000"), Window: 250 * time.Millisecond,
			Seen: seenOf(t, 64, 3, id16(0x90), id16(1), id16(0x40))},
		"answer": {Type: wire.TypeAnswer, Instance: id16(0x40), Time: t0, Counter: 1 << 40, Query: id16(0x80),
			Endpoint4: ep("198.18.0.3:7946"), Advertise: netip.MustParseAddr("2001:db8::3"), Port: 65535,
			Name: "ünïcødé ノード", Interval: time.Second, Window: 100 * time.Millisecond, Members: 2},
		"leave": {Type: wire.TypeLeave, Instance: id16(1), Time: t0.Add(time.Second), Counter: 3},
		"longest answer": {Type: wire.TypeAnswer, Instance: id16(0xf0), Time: time.UnixMilli(1<<63 - 1).UTC(),
			Counter: 1<<64 - 1, Query: id16(0xa0),
			Endpoint4: ep("255.255.255.254:65535"), Endpoint6: ep("[2001:db8:ffff:ffff:ffff:ffff:ffff:ffff]:65535"),
			Advertise: netip.MustParseAddr("2001:db8::ffff"), Port: 1, Name: strings.Repeat("n", wire.MaxNameLen),
			Interval: wire.MaxInterval, Window: wire.MaxWindow, Members: 1<<32 - 1},
	}
}

// randomID returns an instance id from rng.
func randomID(rng *rand.Rand) (id wire.InstanceID) {
	binary.BigEndian.PutUint64(id[:8], rng.Uint64())
	binary.BigEndian.PutUint64(id[8:], rng.Uint64())
	return id
}

// equalMessage reports whether a and b hold the same message.
func equalMessage(t testing.TB, a, b wire.Message) bool {
	t.Helper()
	if n := reflect.TypeFor[wire.Message]().NumField(); n != 14 {
		t.Fatalf("wire.Message has %d fields: update equalMessage", n)
	}
	return a.Type == b.Type && a.Instance == b.Instance && a.Time == b.Time && a.Counter == b.Counter &&
		a.Query == b.Query && a.Endpoint4 == b.Endpoint4 && a.Endpoint6 == b.Endpoint6 &&
		a.Advertise == b.Advertise && a.Port == b.Port && a.Name == b.Name && a.Interval == b.Interval &&
		a.Window == b.Window && a.Members == b.Members && a.Seen.Equal(&b.Seen)
}

// cloneMessage returns m with a Seen filter of its own.
func cloneMessage(m wire.Message) wire.Message {
	m.Seen = m.Seen.Clone()
	return m
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

// specSealed seals body under testKey by the spec, with a fixed nonce.
func specSealed(t testing.TB, typ wire.Type, body []byte) []byte {
	t.Helper()
	var nonce [24]byte
	nonce[0] = 0x42
	return specSeal(specAEAD(t, testMaster()), 2, byte(typ), 0, testKey.ID(), nonce, body)
}
