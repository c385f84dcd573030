package libcluster

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"
)

// TestDecodeVectors decodes the datagrams recorded from real libcluster
// 3.5.0 nodes on OTP 25, in both modes, and checks that each mode's decoder
// refuses the other mode's datagrams for the right reason.
func TestDecodeVectors(t *testing.T) {
	plain := readVectors(t, "libcluster-3.5.0-plain.bin")
	secret := readVectors(t, "libcluster-3.5.0-secret.bin")
	want := map[Node]bool{"a@198.18.0.1": true, "b@198.18.0.2": true}
	cases := []struct {
		name   string
		d      *Decoder
		vecs   [][]byte
		reason Reason
	}{
		{"plain decoder, plain vectors", NewDecoder(), plain, 0},
		{"secret decoder, secret vectors", NewSecretDecoder(vectorSecret), secret, 0},
		{"plain decoder, secret vectors", NewDecoder(), secret, ReasonPrefix},
		{"secret decoder, plain vectors", NewSecretDecoder(vectorSecret), plain, ReasonPlain},
		{"other secret, secret vectors", NewSecretDecoder("another secret"), secret, ReasonSecret},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			seen := map[Node]bool{}
			for i, v := range tc.vecs {
				n, err := tc.d.Decode(v)
				if r := ReasonOf(err); r != tc.reason {
					t.Fatalf("datagram %d: reason %q (%v), want %q", i, r, err, tc.reason)
				}
				if err == nil {
					if !want[n] {
						t.Fatalf("datagram %d: node %q", i, n)
					}
					seen[n] = true
				}
			}
			if tc.reason == 0 && len(seen) != len(want) {
				t.Errorf("nodes seen %v, want %v", seen, want)
			}
		})
	}
}

// TestDecodeAtomEncodings decodes every combination of the four atom
// encodings for the key and the name, as plain and as secret heartbeats:
// OTP 25 writes ATOM_EXT (100), OTP 26 and later SMALL_ATOM_UTF8_EXT (119).
func TestDecodeAtomEncodings(t *testing.T) {
	const node = "app_1-x@fd00::1"
	for _, k := range atomTags {
		for _, v := range atomTags {
			hb := heartbeat(node, k, v)
			if n, err := NewDecoder().Decode(hb); err != nil || n != node {
				t.Errorf("plain, key tag %d, name tag %d: %q, %v", k, v, n, err)
			}
			sealed := seal("s", [16]byte{k, v}, hb)
			if n, err := NewSecretDecoder("s").Decode(sealed); err != nil || n != node {
				t.Errorf("secret, key tag %d, name tag %d: %q, %v", k, v, n, err)
			}
		}
	}
}

// TestDecodeOTP26Bytes decodes the exact bytes OTP 26 writes for
// %{node: :"b@198.18.0.2"}, two bytes shorter than OTP 25's.
func TestDecodeOTP26Bytes(t *testing.T) {
	hb := append([]byte("heartbeat::"), 0x83, 0x74, 0, 0, 0, 1, 0x77, 4, 'n', 'o', 'd', 'e', 0x77, 12)
	hb = append(hb, "b@198.18.0.2"...)
	otp25 := readVectors(t, "libcluster-3.5.0-plain.bin")
	for _, v := range otp25 {
		if bytes.HasSuffix(v, []byte("b@198.18.0.2")) && len(v) != len(hb)+2 {
			t.Fatalf("OTP 25 heartbeat is %d bytes, OTP 26's %d", len(v), len(hb))
		}
	}
	if n, err := NewDecoder().Decode(hb); err != nil || n != "b@198.18.0.2" {
		t.Fatalf("Decode = %q, %v", n, err)
	}
}

// TestDecodeRejects checks every reject path of both modes.
func TestDecodeRejects(t *testing.T) {
	good := heartbeat("a@10.0.0.1", etfAtom, etfAtom)
	term := good[len(Prefix):]
	with := func(t []byte) []byte { return append([]byte(Prefix), t...) }
	edit := func(i int, b byte) []byte {
		d := bytes.Clone(good)
		d[i] = b
		return d
	}
	long := strings.Repeat("a", MaxNodeLen-len("@h")) + "@h"
	plain := []struct {
		name   string
		d      []byte
		reason Reason
	}{
		{"empty", nil, ReasonPrefix},
		{"other protocol", []byte("mcg\x02 something else entirely......"), ReasonPrefix},
		{"prefix only", []byte(Prefix), ReasonShort},
		{"truncated", good[:minPlain-1], ReasonShort},
		{"too large", append(bytes.Clone(good), make([]byte, maxPlain)...), ReasonTooLarge},
		{"version", edit(len(Prefix), 130), ReasonTerm},
		{"compressed", with(append([]byte{131, 80}, term[2:]...)), ReasonTerm},
		{"not a map", edit(len(Prefix)+1, 104), ReasonTerm},
		{"arity 2", edit(len(Prefix)+5, 2), ReasonTerm},
		{"arity 0", edit(len(Prefix)+5, 0), ReasonTerm},
		{"key not an atom", edit(len(Prefix)+6, 107), ReasonTerm},
		{"key not node", edit(len(Prefix)+9, 'N'), ReasonTerm},
		{"value not an atom", edit(len(Prefix)+13, 107), ReasonTerm},
		{"atom length past the end", edit(len(Prefix)+15, 200), ReasonTerm},
		{"short name atom header", with(append(bytes.Clone(term[:13]), etfAtom, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)), ReasonTerm},
		{"trailing byte", append(bytes.Clone(good), 0), ReasonTerm},
		{"two pairs", with(append(bytes.Clone(term), term[6:]...)), ReasonTerm},
		{"no @", heartbeat("a10.0.0.1", etfAtom, etfAtom), ReasonName},
		{"two @", heartbeat("a@b@c", etfAtom, etfAtom), ReasonName},
		{"empty name part", heartbeat("@10.0.0.1", etfAtom, etfAtom), ReasonName},
		{"empty host", heartbeat("abc@", etfAtom, etfAtom), ReasonName},
		{"space", heartbeat("a b@h", etfAtom, etfAtom), ReasonName},
		{"colon in name part", heartbeat("a:b@h", etfAtom, etfAtom), ReasonName},
		{"latin-1 letter", heartbeat("caf\xe9@h", etfAtom, etfAtom), ReasonName},
		{"utf-8 letter", heartbeat("café@h", etfAtomUTF8, etfAtomUTF8), ReasonName},
		{"zone", heartbeat("a@fe80::1%eth0", etfAtom, etfAtom), ReasonName},
		{"nonode@nohost", heartbeat("nonode@nohost", etfAtom, etfAtom), ReasonName},
		{"name of 256 bytes", heartbeat("a"+long, etfSmallAtom, etfAtom), ReasonName},
	}
	for _, tc := range plain {
		t.Run("plain/"+tc.name, func(t *testing.T) {
			n, err := NewDecoder().Decode(tc.d)
			if r := ReasonOf(err); r != tc.reason {
				t.Fatalf("reason %q (%v, node %q), want %q", r, err, n, tc.reason)
			}
			if n != "" {
				t.Fatalf("node %q with an error", n)
			}
		})
	}
	if n, err := NewDecoder().Decode(heartbeat(long, etfAtom, etfAtom)); err != nil || len(n) != MaxNodeLen {
		t.Errorf("a name of MaxNodeLen bytes: %q, %v", n, err)
	}

	sd := NewSecretDecoder("s")
	iv := [16]byte{1, 2, 3}
	sealed := seal("s", iv, good)
	badPad := func(last byte) []byte {
		// Encrypt a plaintext whose last block ends in last, unpadded.
		p := append(bytes.Clone(good), make([]byte, 16-len(good)%16)...)
		p[len(p)-1] = last
		s := seal("s", iv, p)
		return s[:len(s)-16] // drop the padding block seal added
	}
	secret := []struct {
		name   string
		d      []byte
		reason Reason
	}{
		{"plain heartbeat", good, ReasonPlain},
		{"short", sealed[:minSecret-16], ReasonShort},
		{"too large", seal("s", iv, append(bytes.Clone(good), make([]byte, 300)...)), ReasonTooLarge},
		{"not whole blocks", sealed[:len(sealed)-1], ReasonBlocks},
		{"other secret", seal("t", iv, good), ReasonSecret},
		{"padding 0", badPad(0), ReasonSecret},
		{"padding 17", badPad(17), ReasonSecret},
		{"padding bytes differ", badPad(2), ReasonSecret},
		{"no prefix inside", seal("s", iv, append([]byte("heartbeat:;"), term...)), ReasonSecret},
		{"malformed term inside", seal("s", iv, append(bytes.Clone(good), 0)), ReasonTerm},
		{"bad name inside", seal("s", iv, heartbeat("nonode@nohost", etfAtom, etfAtom)), ReasonName},
		{"short heartbeat inside", seal("s", iv, []byte(Prefix)), ReasonShort},
	}
	for _, tc := range secret {
		t.Run("secret/"+tc.name, func(t *testing.T) {
			n, err := sd.Decode(tc.d)
			if r := ReasonOf(err); r != tc.reason {
				t.Fatalf("reason %q (%v, node %q), want %q", r, err, n, tc.reason)
			}
		})
	}
	if n, err := sd.Decode(sealed); err != nil || n != "a@10.0.0.1" {
		t.Errorf("the good sealed heartbeat: %q, %v", n, err)
	}
}

// TestDecodeDoesNotModify checks that Decode leaves its input as it was.
func TestDecodeDoesNotModify(t *testing.T) {
	d := seal("s", [16]byte{9}, heartbeat("a@h", etfAtom, etfAtom))
	orig := bytes.Clone(d)
	if _, err := NewSecretDecoder("s").Decode(d); err != nil || !bytes.Equal(d, orig) {
		t.Fatalf("err %v, modified %v", err, !bytes.Equal(d, orig))
	}
}

// TestDecodeAllocations checks that Decode allocates nothing on any reject
// path and only the node name on success.
func TestDecodeAllocations(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are meaningless under the race detector")
	}
	good := heartbeat("a@10.0.0.1", etfAtom, etfAtom)
	pd, sd := NewDecoder(), NewSecretDecoder("s")
	cases := []struct {
		name string
		d    *Decoder
		in   []byte
		max  float64
	}{
		{"plain ok", pd, good, 1},
		{"plain prefix", pd, []byte("garbage garbage garbage garbage"), 0},
		{"plain term", pd, append(bytes.Clone(good), 0), 0},
		{"plain name", pd, heartbeat("nonode@nohost", etfAtom, etfAtom), 0},
		{"secret ok", sd, seal("s", [16]byte{}, good), 1},
		{"secret other secret", sd, seal("t", [16]byte{}, good), 0},
		{"secret blocks", sd, make([]byte, 65), 0},
		{"secret plain", sd, good, 0},
		{"secret term", sd, seal("s", [16]byte{}, append(bytes.Clone(good), 0)), 0},
	}
	for _, tc := range cases {
		got := testing.AllocsPerRun(100, func() { _, _ = tc.d.Decode(tc.in) })
		if got > tc.max {
			t.Errorf("%s: %.1f allocations, want at most %.0f", tc.name, got, tc.max)
		}
	}
}

// TestReasons checks the reason names: unique, non-empty, and found by
// ReasonOf through wrapping.
func TestReasons(t *testing.T) {
	seen := map[string]bool{}
	for _, r := range Reasons() {
		s := r.String()
		if s == "" || seen[s] {
			t.Errorf("reason %d has name %q (empty or repeated)", r, s)
		}
		seen[s] = true
	}
	if len(seen) != int(numReasons)-1 {
		t.Errorf("%d names for %d reasons", len(seen), numReasons-1)
	}
	if r := ReasonOf(fmt.Errorf("wrapped: %w", errTerm)); r != ReasonTerm {
		t.Errorf("ReasonOf(wrapped errTerm) = %q", r)
	}
	if r := ReasonOf(nil); r != 0 {
		t.Errorf("ReasonOf(nil) = %q", r)
	}
	if r := ReasonOf(errors.New("other")); r != 0 {
		t.Errorf("ReasonOf(another error) = %q", r)
	}
}
