package wire_test

import (
	"encoding/binary"
	"errors"
	"strings"
	"testing"

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

func TestKeyring(t *testing.T) {
	m := sampleMessages(t)["announce full"]
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
			if err == nil && !equalMessage(t, got, m) {
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
	if err := wire.Open(zeroRing, append([]byte("mcg\x02\x01\x00"), make([]byte, 120)...), new(wire.Message)); !errors.Is(err, wire.ErrUnknownKey) {
		t.Errorf("Open with a ring of zero keys: %v, want %v", err, wire.ErrUnknownKey)
	}
	var nilRing *wire.Keyring
	if nilRing.Primary() != nil || nilRing.Keys() != nil {
		t.Errorf("nil keyring has keys")
	}
	m := sampleMessages(t)["query"]
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
	m := sampleMessages(t)["announce minimal"]
	d, err := wire.AppendSeal(nil, wire.NewKeyring(a), &m, nil)
	if err != nil {
		t.Fatal(err)
	}
	var got wire.Message
	if err := wire.Open(wire.NewKeyring(wire.DeriveKey("a long enough cookie for tests")), d, &got); err != nil || !equalMessage(t, got, m) {
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
