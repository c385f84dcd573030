package libcluster

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/sha256"
	"encoding/binary"
	"os"
	"path/filepath"
	"testing"
)

// atomTags are the four atom encodings a heartbeat may use.
var atomTags = []byte{etfAtom, etfSmallAtom, etfAtomUTF8, etfSmallAtomUTF8}

// appendAtom appends text as an atom with the given tag.
func appendAtom(b []byte, tag byte, text string) []byte {
	b = append(b, tag)
	switch tag {
	case etfSmallAtom, etfSmallAtomUTF8:
		b = append(b, byte(len(text)))
	default:
		b = binary.BigEndian.AppendUint16(b, uint16(len(text)))
	}
	return append(b, text...)
}

// heartbeat builds a plain heartbeat for node, with keyTag for the atom
// node and nameTag for the node name.
func heartbeat(node string, keyTag, nameTag byte) []byte {
	b := append([]byte(Prefix), etfVersion, etfMap, 0, 0, 0, 1)
	b = appendAtom(b, keyTag, "node")
	return appendAtom(b, nameTag, node)
}

// seal encrypts plain as libcluster's secret mode does, with the given IV.
func seal(secret string, iv [16]byte, plain []byte) []byte {
	key := sha256.Sum256([]byte(secret))
	block, err := aes.NewCipher(key[:])
	if err != nil {
		panic(err)
	}
	n := aes.BlockSize - len(plain)%aes.BlockSize
	padded := append([]byte(nil), plain...)
	for range n {
		padded = append(padded, byte(n))
	}
	out := append(iv[:], padded...)
	cipher.NewCBCEncrypter(block, iv[:]).CryptBlocks(out[16:], padded)
	return out
}

// vectorSecret is the secret of the recorded secret-mode vectors.
const vectorSecret = "lab-secret-123"

// readVectors reads a file of testdata/vectors: records of a 4-byte
// big-endian length and one datagram.
func readVectors(tb testing.TB, name string) [][]byte {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "vectors", name))
	if err != nil {
		tb.Fatal(err)
	}
	var out [][]byte
	for len(b) > 0 {
		if len(b) < 4 || int(binary.BigEndian.Uint32(b)) > len(b)-4 {
			tb.Fatalf("%s: truncated record", name)
		}
		n := binary.BigEndian.Uint32(b)
		out = append(out, b[4:4+n])
		b = b[4+n:]
	}
	if len(out) == 0 {
		tb.Fatalf("%s: no datagram", name)
	}
	return out
}
