package libcluster

import (
	"bytes"
	"testing"
)

// BenchmarkDecode decodes a heartbeat the size of the recorded ones, and
// rejects the datagrams a decoder sees most: another mode's.
func BenchmarkDecode(b *testing.B) {
	plain := heartbeat("b@198.18.0.2", etfAtom, etfAtom)
	sealed := seal("s", [16]byte{1}, plain)
	cases := []struct {
		name string
		d    *Decoder
		in   []byte
	}{
		{"plain", NewDecoder(), plain},
		{"secret", NewSecretDecoder("s"), sealed},
		{"plain rejects secret", NewDecoder(), sealed},
		{"secret rejects plain", NewSecretDecoder("s"), plain},
		{"secret rejects another secret", NewSecretDecoder("t"), sealed},
		{"plain rejects malformed term", NewDecoder(), append(bytes.Clone(plain), 0)},
	}
	for _, tc := range cases {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(tc.in)))
			for b.Loop() {
				_, _ = tc.d.Decode(tc.in)
			}
		})
	}
}
