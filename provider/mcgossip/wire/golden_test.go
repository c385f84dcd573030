package wire_test

import (
	"bytes"
	"encoding/hex"
	"testing"

	"golang.org/x/crypto/argon2"

	"github.com/mcgossip/go-discover-mcgossip/provider/mcgossip/wire"
)

// golden pins the byte layout of each sample message: its plaintext body
// (AppendMarshal) and its datagram sealed with testKey (id 8b9e529a) and the
// nonce 00 01 ... 17.
var golden = []struct {
	name, body, sealed string
}{
	{"announce full",
		"0102030405060708090a0b0c0d0e0f10 0000019ab697e87b 0000000000000002 00000000000000000000000000000000 206d 04 c6120001 06 6e6f64652d61",
		"6d63670101008b9e529a000102030405060708090a0b0c0d0e0f101112131415161766883f3012afb58d88ea3dbd253f90e6fa297bc3592158f31da76f22b56c3980324ab9a5444255b979a46342047d3f3451b9ca077be2fa7e88b0ff90343112729425fb2f591f8cfb0ff81eb83db4"},
	{"announce minimal",
		"0102030405060708090a0b0c0d0e0f10 0000019ab697e87b 0000000000000001 00000000000000000000000000000000 0000 00 00",
		"6d63670101008b9e529a000102030405060708090a0b0c0d0e0f101112131415161766883f3012afb58d88ea3dbd253f90e6fa297bc3592158f31da76f22b56c3983324ab9a5444255b979a46342047d3f3471d4cec1b6d86282bc30a7d91b0a2b3549513f99"},
	{"answer ipv6",
		"404142434445464748494a4b4c4d4e4f 0000019ab697e87b 0000010000000000 808182838485868788898a8b8c8d8e8f ffff 10 20010db8000000000000000000000001 15 c3bc6ec3af63c3b864c3a920e3838ee383bce38389",
		"6d63670103008b9e529a000102030405060708090a0b0c0d0e0f101112131415161727cb7e7753ecf4c2c9a97cfa647cd1b9fa297bc3592158f31da76e22b56c3982b2cb3b26c0c7d33ef12de9c988f0b1bb8e2bdee168ef4378e6df9bf519502da11ec81042f9b527d08e6e71c403fe8d9bde663dbaf39bc8f88e0deecac594d67a16e42d5d89071f5516"},
	{"leave",
		"0102030405060708090a0b0c0d0e0f10 0000019ab697ec63 0000000000000003 00000000000000000000000000000000 0000 04 0a000001 00",
		"6d63670104008b9e529a000102030405060708090a0b0c0d0e0f101112131415161766883f3012afb58d88ea3dbd253f90e6fa297bc359215ceb1da76f22b56c3981324ab9a5444255b979a46342047d3f3471d4cacb69e2fa78419d17c317ddc660f214c44101c6b4d4"},
	{"longest",
		"f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff 7fffffffffffffff ffffffffffffffff a0a1a2a3a4a5a6a7a8a9aaabacadaeaf 0001 10 ffff000000000000000000000000ffff 40 6e6e6e6e6e6e6e6e6e6e6e6e6e6e6e6e6e6e6e6e6e6e6e6e6e6e6e6e6e6e6e6e6e6e6e6e6e6e6e6e6e6e6e6e6e6e6e6e6e6e6e6e6e6e6e6e6e6e6e6e6e6e6e6e",
		"6d63670103008b9e529a000102030405060708090a0b0c0d0e0f1011121314151617977bcec7e35c44727919cc4ad4cc610985d685a610494f77e25890dd4a93c67d92eb1b06e0e7f31ed10dc9e9a8d0919b71d5de3e96e2fb78e6df9bf519502da11e37ee175467277d4f63dc1209534ad5538bdd371e49451569ffe8ec1787ef805d4777d17786acefb6c81221cb132982be85f500feb03ef3007b3096a4cd9ceee9fa989426200e3c76efd3a5a8d1e84dc40c794a"},
	{"query",
		"202122232425262728292a2b2c2d2e2f 0000019ab697e87b 0000000000000007 808182838485868788898a8b8c8d8e8f 0000 00 00",
		"6d63670102008b9e529a000102030405060708090a0b0c0d0e0f101112131415161747ab1e17338c94a2a9c91c9a041cb1d9fa297bc3592158f31da76f22b56c3985b2cb3b26c0c7d33ef12de9c988f0b1bb71d4cec1352f35ecff1976f65f8789d4606652f9"},
}

func TestAppendMarshalGolden(t *testing.T) {
	msgs := sampleMessages()
	if len(msgs) != len(golden) {
		t.Fatalf("%d sample messages, %d golden cases", len(msgs), len(golden))
	}
	for _, tc := range golden {
		t.Run(tc.name, func(t *testing.T) {
			m, ok := msgs[tc.name]
			if !ok {
				t.Fatalf("no sample message %q", tc.name)
			}
			prefix := []byte("prefix")
			got, err := wire.AppendMarshal(append([]byte(nil), prefix...), &m)
			if err != nil {
				t.Fatalf("AppendMarshal: %v", err)
			}
			if !bytes.HasPrefix(got, prefix) {
				t.Fatalf("AppendMarshal lost the prefix: %x", got)
			}
			if want := mustHex(t, tc.body); !bytes.Equal(got[len(prefix):], want) {
				t.Errorf("body\n got %x\nwant %x", got[len(prefix):], want)
			}
		})
	}
}

func TestAppendSealGolden(t *testing.T) {
	msgs := sampleMessages()
	aead := specAEAD(t, testMaster())
	id := specKeyID(t, testMaster())
	if got := testKey.ID(); got != id {
		t.Fatalf("testKey.ID() = %x, spec says %x", got, id)
	}
	var nonce [24]byte
	_, _ = (&countingReader{}).Read(nonce[:])
	for _, tc := range golden {
		t.Run(tc.name, func(t *testing.T) {
			m := msgs[tc.name]
			prefix := []byte{0xaa, 0xbb}
			got, err := wire.AppendSeal(append([]byte(nil), prefix...), testRing, &m, &countingReader{})
			if err != nil {
				t.Fatalf("AppendSeal: %v", err)
			}
			if !bytes.Equal(got[:len(prefix)], prefix) {
				t.Fatalf("AppendSeal lost the prefix: %x", got)
			}
			got = got[len(prefix):]
			want := mustHex(t, tc.sealed)
			if !bytes.Equal(got, want) {
				t.Errorf("sealed\n got %x\nwant %x", got, want)
			}
			// The golden bytes are what the spec in the package doc gives.
			spec := specSeal(aead, wire.Version, byte(m.Type), 0, id, nonce, mustHex(t, tc.body))
			if !bytes.Equal(want, spec) {
				t.Errorf("golden differs from the spec construction\n spec %x\nwant %x", spec, want)
			}
			if len(got) > wire.MaxDatagram || len(got) != wire.Overhead+len(mustHex(t, tc.body)) {
				t.Errorf("sealed length %d, body %d, overhead %d", len(got), len(mustHex(t, tc.body)), wire.Overhead)
			}
		})
	}
}

// TestDeriveKeyGolden pins the key derivation: the Argon2id parameters, the
// salt and the HKDF info strings. A change here breaks every deployed cluster
// and needs a new protocol version.
func TestDeriveKeyGolden(t *testing.T) {
	cases := []struct {
		cookie, id string
	}{
		{"", "d8882a95"},
		{"correct horse battery staple", "52c2ed6e"},
		{"golden-cookie", "e0f33554"},
	}
	for _, tc := range cases {
		t.Run(tc.cookie, func(t *testing.T) {
			k := wire.DeriveKey(tc.cookie)
			id := k.ID()
			if got := hex.EncodeToString(id[:]); got != tc.id {
				t.Errorf("DeriveKey(%q).ID() = %s, want %s", tc.cookie, got, tc.id)
			}
			// Same as the spec: Argon2id t=3, m=8 MiB, p=1, then HKDF.
			master := [wire.MasterKeyLen]byte(argon2.IDKey([]byte(tc.cookie), []byte("go-discover-mcgossip/v1"), 3, 8*1024, 1, 32))
			if spec := specKeyID(t, master); spec != id {
				t.Errorf("DeriveKey(%q).ID() = %x, spec gives %x", tc.cookie, id, spec)
			}
			if got, want := k.String(), "key "+tc.id; got != want {
				t.Errorf("String() = %q, want %q", got, want)
			}
		})
	}

	// A whole sealed datagram pins all 32 bytes of a derived AEAD key.
	m := sampleMessages()["announce full"]
	got, err := wire.AppendSeal(nil, wire.NewKeyring(wire.DeriveKey("golden-cookie")), &m, &countingReader{})
	if err != nil {
		t.Fatal(err)
	}
	want := mustHex(t, "6d6367010100e0f33554000102030405060708090a0b0c0d0e0f1011121314151617c97516437a1f3c0400be9d0b2716030e81a1d84ea74a3409d8c798aa9c4ce282ac476b6f1c1d9f44db0909945b1cd88fb95f5711b114a2431d3db7192a5c7a1fc4817c8f54e3cab1cdf9531cf2c8")
	if !bytes.Equal(got, want) {
		t.Errorf("sealed with DeriveKey(\"golden-cookie\")\n got %x\nwant %x", got, want)
	}
}
