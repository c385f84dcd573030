package libcluster

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/sha256"
	"slices"
	"testing"
)

// FuzzDecode feeds arbitrary datagrams to a plain and a secret decoder
// (seeded with the recorded vectors and hand-built heartbeats of every atom
// encoding). Decode never panics and never modifies its input; an error has
// a known Reason and no node; and a datagram that decodes is exactly one of
// the encodings of its node (strictness: nothing else decodes).
func FuzzDecode(f *testing.F) {
	for _, file := range []string{"libcluster-3.5.0-plain.bin", "libcluster-3.5.0-secret.bin"} {
		for _, v := range readVectors(f, file) {
			f.Add(v)
		}
	}
	for _, k := range atomTags {
		hb := heartbeat("b@198.18.0.2", k, etfSmallAtomUTF8)
		f.Add(hb)
		f.Add(seal(vectorSecret, [16]byte{k}, hb))
	}
	pd, sd := NewDecoder(), NewSecretDecoder(vectorSecret)
	key := sha256.Sum256([]byte(vectorSecret))
	block, err := aes.NewCipher(key[:])
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, d []byte) {
		orig := bytes.Clone(d)
		n, err := pd.Decode(d)
		checkDecoded(t, "plain", n, err, d)
		if err == nil && !isEncoding(d, n) {
			t.Fatalf("plain: %x decodes to %q but is none of its encodings", d, n)
		}
		n, err = sd.Decode(d)
		checkDecoded(t, "secret", n, err, d)
		if err == nil {
			// Decrypt with the standard library: the plaintext must be an
			// encoding of n, padded.
			pt := make([]byte, len(d)-16)
			cipher.NewCBCDecrypter(block, d[:16]).CryptBlocks(pt, d[16:])
			p := int(pt[len(pt)-1])
			if !isEncoding(pt[:len(pt)-p], n) {
				t.Fatalf("secret: %x decodes to %q but is no encoding of it", d, n)
			}
		}
		if !bytes.Equal(d, orig) {
			t.Fatal("Decode modified its input")
		}
	})
}

// checkDecoded checks the result of one Decode.
func checkDecoded(t *testing.T, mode string, n Node, err error, d []byte) {
	t.Helper()
	if err != nil {
		if !slices.Contains(Reasons(), ReasonOf(err)) || n != "" {
			t.Fatalf("%s: %x: error %v has reason %q, node %q", mode, d, err, ReasonOf(err), n)
		}
		return
	}
	if _, perr := ParseNode(string(n)); perr != nil {
		t.Fatalf("%s: %x: decoded node %q is not a valid node name", mode, d, n)
	}
}

// isEncoding reports whether d is a plain heartbeat of n in one of the atom
// encodings.
func isEncoding(d []byte, n Node) bool {
	for _, k := range atomTags {
		for _, v := range atomTags {
			if len(n) > 255 && (v == etfSmallAtom || v == etfSmallAtomUTF8) {
				continue
			}
			if bytes.Equal(d, heartbeat(string(n), k, v)) {
				return true
			}
		}
	}
	return false
}
