package wire_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/mcgossip/go-discover-mcgossip/provider/mcgossip/wire"
)

// collidingKeys returns two different keys that share the key id d22e625b
// (found by a birthday search over testMaster with its last 4 bytes set to a
// counter).
func collidingKeys(t testing.TB) (*wire.Key, *wire.Key) {
	t.Helper()
	mk := func(i uint32) *wire.Key {
		m := testMaster()
		binary.BigEndian.PutUint32(m[28:], i)
		return wire.NewKey(m)
	}
	a, b := mk(23665), mk(88357)
	if a.ID() != b.ID() || a.ID() != [4]byte{0xd2, 0x2e, 0x62, 0x5b} {
		t.Fatalf("keys do not collide: %v %v", a, b)
	}
	return a, b
}

func TestRoundTrip(t *testing.T) {
	for name, m := range sampleMessages() {
		t.Run(name, func(t *testing.T) {
			d, err := wire.AppendSeal(nil, testRing, &m, nil) // crypto/rand nonce
			if err != nil {
				t.Fatalf("AppendSeal: %v", err)
			}
			var got wire.Message
			if err := wire.Open(testRing, d, &got); err != nil {
				t.Fatalf("Open: %v", err)
			}
			if got != m {
				t.Errorf("Open = %+v, want %+v", got, m)
			}
			if got.Time.Location() != time.UTC {
				t.Errorf("Time location %v, want UTC", got.Time.Location())
			}
			// Opening into a reused, dirty message overwrites every field.
			dirty := wire.Message{Type: 9, Instance: id16(9), Time: time.Now(), Counter: 9, Query: id16(9),
				Port: 9, Addr: netip.MustParseAddr("9.9.9.9"), Name: "dirty"}
			if err := wire.Open(testRing, d, &dirty); err != nil {
				t.Fatalf("Open into a dirty message: %v", err)
			}
			if dirty != m {
				t.Errorf("Open into a dirty message = %+v, want %+v", dirty, m)
			}
			// Two seals of one message differ (random nonce) and both open.
			d2, err := wire.AppendSeal(nil, testRing, &m, nil)
			if err != nil {
				t.Fatal(err)
			}
			if bytes.Equal(d, d2) {
				t.Errorf("two seals gave the same bytes")
			}
		})
	}
}

func TestRoundTripTimeIsMilliseconds(t *testing.T) {
	now := time.Now() // with a monotonic reading and nanoseconds
	m := wire.Message{Type: wire.TypeAnnounce, Instance: id16(1), Time: now, Counter: 1}
	var got wire.Message
	if err := wire.Open(testRing, sealed(t, m), &got); err != nil {
		t.Fatal(err)
	}
	if want := time.UnixMilli(now.UnixMilli()).UTC(); got.Time != want {
		t.Errorf("Time = %v, want %v", got.Time, want)
	}
}

func TestKeyring(t *testing.T) {
	m := sampleMessages()["announce full"]
	oldKey, newKey := testKey, otherKey
	collA, collB := collidingKeys(t)
	cases := []struct {
		name    string
		seal    *wire.Keyring
		open    *wire.Keyring
		wantErr error
	}{
		{"same key", wire.NewKeyring(oldKey), wire.NewKeyring(oldKey), nil},
		{"rotation: sealed with new, opened by old primary", wire.NewKeyring(newKey, oldKey), wire.NewKeyring(oldKey, newKey), nil},
		{"rotation: sealed with old, opened by new primary", wire.NewKeyring(oldKey), wire.NewKeyring(newKey, oldKey), nil},
		{"receive-only keyring", wire.NewKeyring(oldKey), wire.NewKeyring(nil, oldKey), nil},
		{"other cluster", wire.NewKeyring(newKey), wire.NewKeyring(oldKey), wire.ErrUnknownKey},
		{"nil keyring", wire.NewKeyring(oldKey), nil, wire.ErrUnknownKey},
		{"empty keyring", wire.NewKeyring(oldKey), wire.NewKeyring(nil), wire.ErrUnknownKey},
		{"id collision, first candidate", wire.NewKeyring(collA), wire.NewKeyring(collA, collB), nil},
		{"id collision, second candidate", wire.NewKeyring(collB), wire.NewKeyring(collA, collB), nil},
		{"id collision, no right key", wire.NewKeyring(collB), wire.NewKeyring(collA), wire.ErrAuth},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d, err := wire.AppendSeal(nil, tc.seal, &m, nil)
			if err != nil {
				t.Fatalf("AppendSeal: %v", err)
			}
			var got wire.Message
			err = wire.Open(tc.open, d, &got)
			if !errors.Is(err, tc.wantErr) || (tc.wantErr == nil && err != nil) {
				t.Fatalf("Open: %v, want %v", err, tc.wantErr)
			}
			if err == nil && got != m {
				t.Errorf("Open = %+v, want %+v", got, m)
			}
		})
	}
}

func TestNewKeyring(t *testing.T) {
	kr := wire.NewKeyring(testKey, nil, otherKey, testKey, new(wire.Key), otherKey)
	if kr.Primary() != testKey {
		t.Errorf("Primary() = %v, want %v", kr.Primary(), testKey)
	}
	keys := kr.Keys()
	if len(keys) != 2 || keys[0] != testKey || keys[1] != otherKey {
		t.Errorf("Keys() = %v, want [%v %v]", keys, testKey, otherKey)
	}
	keys[0] = nil // a fresh slice: the ring is unchanged
	if kr.Keys()[0] != testKey {
		t.Errorf("Keys() shares its slice with the keyring")
	}
	// A zero Key (id 0, no cipher) is not used, so a datagram with key id 0 is
	// just unknown.
	zeroRing := wire.NewKeyring(new(wire.Key), new(wire.Key))
	if err := wire.Open(zeroRing, append([]byte("mcg\x01\x01\x00"), make([]byte, 120)...), new(wire.Message)); !errors.Is(err, wire.ErrUnknownKey) {
		t.Errorf("Open with a ring of zero keys: %v, want %v", err, wire.ErrUnknownKey)
	}
	var nilRing *wire.Keyring
	if nilRing.Primary() != nil || nilRing.Keys() != nil {
		t.Errorf("nil keyring has keys")
	}
	m := sampleMessages()["query"]
	for _, kr := range []*wire.Keyring{nil, wire.NewKeyring(nil, testKey), wire.NewKeyring(new(wire.Key))} {
		dst := []byte("keep")
		got, err := wire.AppendSeal(dst, kr, &m, nil)
		if err == nil || !strings.Contains(err.Error(), "no primary key") {
			t.Errorf("AppendSeal with %v: error %v, want no primary key", kr, err)
		}
		if string(got) != "keep" {
			t.Errorf("AppendSeal changed dst on error: %q", got)
		}
	}
}

func TestDeriveKey(t *testing.T) {
	a := wire.DeriveKey("a long enough cookie for tests")
	if b := wire.DeriveKey("a long enough cookie for tests"); b != a {
		t.Errorf("DeriveKey is not cached: %p != %p", a, b)
	}
	if c := wire.DeriveKey("another cookie for tests......"); c == a || c.ID() == a.ID() {
		t.Errorf("two cookies gave the same key %v", c)
	}
	// Concurrent first calls for one cookie derive it once and agree.
	const n = 4
	keys := make(chan *wire.Key, n)
	for range n {
		go func() { keys <- wire.DeriveKey("a concurrently derived cookie") }()
	}
	first := <-keys
	for range n - 1 {
		if k := <-keys; k != first {
			t.Errorf("concurrent DeriveKey returned different keys %p %p", k, first)
		}
	}
	// Datagrams of one cookie open with the key of the same cookie, and of
	// no other.
	m := sampleMessages()["announce minimal"]
	d, err := wire.AppendSeal(nil, wire.NewKeyring(a), &m, nil)
	if err != nil {
		t.Fatal(err)
	}
	var got wire.Message
	if err := wire.Open(wire.NewKeyring(wire.DeriveKey("a long enough cookie for tests")), d, &got); err != nil || got != m {
		t.Errorf("Open with the same cookie: %v, %+v", err, got)
	}
	if err := wire.Open(wire.NewKeyring(wire.DeriveKey("")), d, &got); !errors.Is(err, wire.ErrUnknownKey) {
		t.Errorf("Open with the open-group key: %v, want %v", err, wire.ErrUnknownKey)
	}
}

func TestNewKeyIsDeterministic(t *testing.T) {
	if a, b := wire.NewKey(testMaster()), wire.NewKey(testMaster()); a.ID() != b.ID() {
		t.Errorf("NewKey ids differ: %v %v", a, b)
	}
	var nilKey *wire.Key
	if got := nilKey.String(); got != "key <nil>" {
		t.Errorf("nil key String() = %q", got)
	}
}

func TestCookieWarning(t *testing.T) {
	cases := []struct {
		cookie string
		want   []string // substrings; none means no warning
	}{
		{"", []string{"no cookie set", "open"}},
		{"Pa55w0rd", []string{"short (8 characters)", "at least 16"}},
		{"ßßßßßßßßßßßßßßß", []string{"short (15 characters)"}}, // 30 bytes, 15 characters
		{"aaaaaaaaaaaaaaaaaaaaaaaa", []string{"only 1 distinct characters"}},
		{"abcabcabcabcabcabcabc", []string{"only 3 distinct"}},
		{"Zq3xV9mT2kLp8Rw4Yc7N\n", []string{"white space"}},
		{" Zq3xV9mT2kLp8Rw4Yc7N", []string{"white space"}},
		{"hunter2\n", []string{"short", "white space"}},
		{"Zq3xV9mT2kLp8Rw4", nil},
		{"correct horse battery staple", nil},
		{"Zq3xV9mT2kLp8Rw4Yc7NbH6sJd5Fg1Ua", nil},
	}
	for _, tc := range cases {
		t.Run(tc.cookie, func(t *testing.T) {
			got := wire.CookieWarning(tc.cookie)
			if len(tc.want) == 0 {
				if got != "" {
					t.Errorf("CookieWarning(%q) = %q, want none", tc.cookie, got)
				}
				return
			}
			for _, w := range tc.want {
				if !strings.Contains(got, w) {
					t.Errorf("CookieWarning(%q) = %q, want it to contain %q", tc.cookie, got, w)
				}
			}
			if tc.cookie != "" && strings.Contains(got, strings.TrimSpace(tc.cookie)) {
				t.Errorf("CookieWarning(%q) = %q repeats the cookie", tc.cookie, got)
			}
		})
	}
}

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
		m := wire.Message{Type: wire.TypeAnnounce, Instance: id16(1), Time: t0, Counter: 1}
		if len(tc.name) <= 255 {
			body, err := wire.AppendMarshal(nil, &m)
			if err != nil {
				t.Fatal(err)
			}
			body = append(body[:len(body)-1], byte(len(tc.name)))
			body = append(body, tc.name...)
			if len(body) > 132 {
				continue // longer than any v1 body: Open stops at the size check
			}
			var got wire.Message
			err = wire.Open(testRing, specSealed(t, wire.TypeAnnounce, body), &got)
			if (err == nil) != tc.ok {
				t.Errorf("Open with name %q = %v, want ok=%v", tc.name, err, tc.ok)
			}
		}
	}
}

// specSealed seals body under testKey by the spec, with a fixed nonce.
func specSealed(t testing.TB, typ wire.Type, body []byte) []byte {
	t.Helper()
	var nonce [24]byte
	nonce[0] = 0x42
	return specSeal(specAEAD(t, testMaster()), wire.Version, byte(typ), 0, testKey.ID(), nonce, body)
}
