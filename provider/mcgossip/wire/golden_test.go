package wire_test

import (
	"bytes"
	"encoding/hex"
	"testing"

	"golang.org/x/crypto/argon2"

	"github.com/mcgossip/go-discover-mcgossip/provider/mcgossip/wire"
)

// golden pins the byte layout of each sample message: its plaintext body
// (AppendMarshal), written by hand from the package doc with a space between
// the core's parts and a "|" before each field, and its datagram sealed with
// testKey (id 8b9e529a) and the nonce 00 01 ... 17.
var golden = []struct {
	name, body, sealed string
}{
	{"announce minimal",
		"0102030405060708090a0b0c0d0e0f10 0000019ab697e87b 0000000000000001 00000000000000000000000000000000" +
			" | 01 0006 c6120001 1f0a | 06 0004 000003e8",
		"6d63670201008b9e529a000102030405060708090a0b0c0d0e0f101112131415161766883f3012afb58d88ea3dbd253f90e6fa297bc3592158f31da76f22b56c3983324ab9a5444255b979a46342047d3f3470d4c8077be2fa67ecd99bf119502e49df3d54722f40813de8d6e875a65bd01d"},
	{"announce full",
		"0102030405060708090a0b0c0d0e0f10 0000019ab697e87b 0000000000000002 00000000000000000000000000000000" +
			" | 01 0006 c6120001 1f0a | 02 0012 20010db8000000000000000000000001 1f0a | 03 0004 cb007107" +
			" | 04 0002 206d | 05 0006 6e6f64652d61 | 06 0004 000005dc | 08 0004 00000003",
		"6d63670201008b9e529a000102030405060708090a0b0c0d0e0f101112131415161766883f3012afb58d88ea3dbd253f90e6fa297bc3592158f31da76f22b56c3980324ab9a5444255b979a46342047d3f3470d4c8077be2fa67ecdd9be7395120191ec811573a094913210db27d783727bb392eb32877232b7927fc83827f87ee8a560478b919ecc281dd7a744fa17d47ecd3b63caa7c7d9f5b52fc9c1436746f0665"},
	{"query",
		"202122232425262728292a2b2c2d2e2f 0000019ab697e87b 0000000000000007 808182838485868788898a8b8c8d8e8f" +
			" | 01 0006 c6120002 9c40",
		"6d63670202008b9e529a000102030405060708090a0b0c0d0e0f101112131415161747ab1e17338c94a2a9c91c9a041cb1d9fa297bc3592158f31da76f22b56c3985b2cb3b26c0c7d33ef12de9c988f0b1bb70d4c8077be2f9e4a67fd274cf65c7558a84292b798ea65b4f"},
	{"query seen",
		"202122232425262728292a2b2c2d2e2f 0000019ab697e87b 0000000000000008 909192939495969798999a9b9c9d9e9f" +
			" | 02 0012 fe800000000000000000000000000001 9c40 | 07 0004 0003d090 | 09 0009 03 1010400200200080",
		"6d63670202008b9e529a000102030405060708090a0b0c0d0e0f101112131415161747ab1e17338c94a2a9c91c9a041cb1d9fa297bc3592158f31da76f22b56c398aa2db2b36d0d7c32ee13df9d998e0a1ab73d4dc3fe9e2fb78e6df9bf519502da11ec810cb7a0e4917210e62ec6e3d2db82df5f35b70072bfbd27dbae6c1ce4cb7a52effa48ad931c1"},
	{"answer",
		"404142434445464748494a4b4c4d4e4f 0000019ab697e87b 0000010000000000 808182838485868788898a8b8c8d8e8f" +
			" | 01 0006 c6120003 1f0a | 03 0010 20010db8000000000000000000000003 | 04 0002 ffff" +
			" | 05 0015 c3bc6ec3af63c3b864c3a920e3838ee383bce38389 | 06 0004 000003e8 | 07 0004 000186a0 | 08 0004 00000002",
		"6d63670203008b9e529a000102030405060708090a0b0c0d0e0f101112131415161727cb7e7753ecf4c2c9a97cfa647cd1b9fa297bc3592158f31da76e22b56c3982b2cb3b26c0c7d33ef12de9c988f0b1bb70d4c8077be2f867ecdc9be5395120191ec811573a094913210db27f633d2644c2e0b34cb39b45b8a8f2453a1d2a28ced0aa975c9a54210251a07c4ba57d4404d7eb9f6e9158f0956e115ef8caa1d1bd06650d3c95e3c7dde0c43062b095"},
	{"leave",
		"0102030405060708090a0b0c0d0e0f10 0000019ab697ec63 0000000000000003 00000000000000000000000000000000",
		"6d63670204008b9e529a000102030405060708090a0b0c0d0e0f101112131415161766883f3012afb58d88ea3dbd253f90e6fa297bc359215ceb1da76f22b56c3981324ab9a5444255b979a46342047d3f34675682de4e70012ee1582d6d7ef7cddf"},
	{"longest answer",
		"f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff 7fffffffffffffff ffffffffffffffff a0a1a2a3a4a5a6a7a8a9aaabacadaeaf" +
			" | 01 0006 fffffffe ffff | 02 0012 20010db8ffffffffffffffffffffffff ffff | 03 0010 20010db800000000000000000000ffff" +
			" | 04 0002 0001 | 05 0040 6e6e6e6e6e6e6e6e6e6e6e6e6e6e6e6e6e6e6e6e6e6e6e6e6e6e6e6e6e6e6e6e6e6e6e6e6e6e6e6e6e6e6e6e6e6e6e6e6e6e6e6e6e6e6e6e6e6e6e6e6e6e6e6e | 06 0004 ffffffff | 07 0004 ffffffff | 08 0004 ffffffff",
		"6d63670203008b9e529a000102030405060708090a0b0c0d0e0f1011121314151617977bcec7e35c44727919cc4ad4cc610985d685a610494f77e25890dd4a93c67d92eb1b06e0e7f31ed10dc9e9a8d0919b70d4c83e961d058719dd9be739512019e137eea8c5f6b6ecdef24d8398c227bb2dc5b254c8272b7b0791868279e98111cc2d19bd19e9c78198c81221cb132982be85f500feb03ef3007b3096a4cd9ceee9fa9894a4181cd24eedfc16981371bab22f37140515af37c5dbdb7ae12e72a8655fcda8f49a6da0785cdfa4d4060511e0c0cfe128af73ee7a49b95f9c7a6448e18004588e046f0aa3f7710cc9df"},
}

func TestAppendMarshalGolden(t *testing.T) {
	msgs := sampleMessages(t)
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
	msgs := sampleMessages(t)
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
			spec := specSeal(aead, 2, byte(m.Type), 0, id, nonce, mustHex(t, tc.body))
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
	m := sampleMessages(t)["announce full"]
	got, err := wire.AppendSeal(nil, wire.NewKeyring(wire.DeriveKey("golden-cookie")), &m, &countingReader{})
	if err != nil {
		t.Fatal(err)
	}
	want := mustHex(t, "6d6367020100e0f33554000102030405060708090a0b0c0d0e0f1011121314151617c97516437a1f3c0400be9d0b2716030e81a1d84ea74a3409d8c798aa9c4ce282ac476b6f1c1d9f44db0909945b1cd88f98325511b114a25a7950d36e273c1389fb26c9bb2c15f3167156afd618f564bcdeaa8b92d69c210a54eb32a8b51597a36988d40ba98fa23a2c5f53422fa9d63636918d8f35888cc9bd61e1324f98dcf484")
	if !bytes.Equal(got, want) {
		t.Errorf("sealed with DeriveKey(\"golden-cookie\")\n got %x\nwant %x", got, want)
	}
}
