package main

import (
	"bytes"
	"flag"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"time"

	"github.com/mcgossip/go-discover-mcgossip/provider/mcgossip/wire"
	"github.com/mcgossip/go-discover-mcgossip/test/internal/attack"
)

// floodMixed is the flood mode of an outsider who has recorded the group:
// garbage, datagrams with a foreign key id, forgeries with the victims'
// key id, and replays of recorded authentic datagrams, in equal shares.
const floodMixed = "mixed"

// Parts of the mixed flood, in the order they interleave.
var mixedParts = []string{"garbage", "foreign key id", "forged, real key id", "replay"}

// recordAuthentic records the group, from the flooder's own host (the
// worker runs in it), until it has n datagrams sealed under the key of
// cookie, or fails after d.
func recordAuthentic(group netip.AddrPort, cookie string, n int, d time.Duration) ([][]byte, error) {
	rec, err := attack.Record(nil, group)
	if err != nil {
		return nil, err
	}
	defer rec.Close()
	id := wire.DeriveKey(cookie).ID()
	got, err := rec.Wait(d, n, func(g attack.Datagram) bool {
		return g.Type() != 0 && len(g.Data) > wire.HeaderLen && bytes.Equal(g.Data[6:10], id[:])
	})
	if err != nil {
		return nil, fmt.Errorf("recording authentic datagrams to replay: %w", err)
	}
	out := make([][]byte, len(got))
	for i, g := range got {
		out[i] = g.Data
	}
	return out, nil
}

// mixedPool returns count datagrams of the mixed flood made from recorded
// authentic datagrams: every fourth one garbage (random bytes of random
// length), a recorded datagram with another key id (dropped by the key id
// compare), one with the real key id and a random nonce and ciphertext
// (one failed AEAD), and a recorded datagram as it was (a replay).
func mixedPool(recorded [][]byte, count int) [][]byte {
	rng := rand.New(rand.NewPCG(3, 4))
	random := func(b []byte) {
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
	}
	pool := make([][]byte, 0, count)
	for i := range count {
		src := recorded[i%len(recorded)]
		var b []byte
		switch i % len(mixedParts) {
		case 0:
			b = make([]byte, 20+rng.IntN(280))
			random(b)
		case 1:
			b = bytes.Clone(src)
			random(b[6:10])
		case 2:
			b = bytes.Clone(src)
			random(b[10:])
		case 3:
			b = src
		}
		pool = append(pool, b)
	}
	return pool
}

// workUDPStat reports the UDP counters of its host's namespace over a
// window: what the hosts of the responders received and dropped.
func workUDPStat(e *emitter, args []string) error {
	fs := flag.NewFlagSet("udpstat", flag.ContinueOnError)
	dur := fs.Duration("dur", 5*time.Second, "window")
	if err := fs.Parse(args); err != nil {
		return err
	}
	u0, err := readUDPCounters()
	if err != nil {
		return err
	}
	e.emit(message{Type: "ready"})
	start := time.Now()
	time.Sleep(*dur) // the measured window
	u1, err := readUDPCounters()
	if err != nil {
		return err
	}
	d := u1.sub(u0)
	e.emit(message{Type: "result", WallMs: ms(time.Since(start)), UDP: &d})
	return nil
}

func init() { workers["udpstat"] = workUDPStat }
