package wire_test

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"testing"

	"github.com/mcgossip/go-discover-mcgossip/provider/mcgossip/wire"
)

// readRecords parses a libcluster sample file: records of a 4-byte
// big-endian length and one datagram (see testdata/libcluster-README.md).
func readRecords(t testing.TB, path string) [][]byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var recs [][]byte
	for len(b) > 0 {
		if len(b) < 4 {
			t.Fatalf("%s: %d stray bytes at the end", path, len(b))
		}
		n := binary.BigEndian.Uint32(b)
		if uint64(n) > uint64(len(b)-4) {
			t.Fatalf("%s: record of %d bytes, only %d left", path, n, len(b)-4)
		}
		recs = append(recs, b[4:4+n])
		b = b[4+n:]
	}
	return recs
}

// TestLibclusterDatagrams feeds the real libcluster 3.5.0 heartbeats recorded
// on a virtual LAN (a node sharing the group and port) to Open: each is
// dropped with a counted reason, never opened, never a panic.
func TestLibclusterDatagrams(t *testing.T) {
	// Keys a node might hold, including the libcluster secret as a cookie.
	ring := wire.NewKeyring(testKey, wire.DeriveKey(""), wire.DeriveKey("lab-secret-123"))
	files := []struct {
		name    string
		records int
		size    int // every datagram's length
	}{
		{"libcluster-3.5.0-plain.bin", 8, 39},
		{"libcluster-3.5.0-secret.bin", 8, 64},
	}
	for _, f := range files {
		t.Run(f.name, func(t *testing.T) {
			recs := readRecords(t, filepath.Join("testdata", f.name))
			if len(recs) != f.records {
				t.Fatalf("%d records, want %d", len(recs), f.records)
			}
			for i, d := range recs {
				if len(d) != f.size {
					t.Errorf("record %d: %d bytes, want %d", i, len(d), f.size)
				}
				// Both forms start with something other than "mcg": "heartbeat::"
				// in clear, a random IV otherwise (these ones do not start with "mcg").
				mustReject(t, ring, d, wire.ErrMagic)
			}
		})
	}
}
