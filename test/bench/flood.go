package main

import (
	crand "crypto/rand"
	"flag"
	"fmt"
	"math/rand/v2"
	"net"
	"net/netip"
	"time"

	"golang.org/x/net/ipv4"

	"github.com/mcgossip/go-discover-mcgossip/provider/mcgossip/wire"
)

// Flood modes: what the flooder sends to the group.
const (
	floodGarbage = "garbage" // random bytes of random length
	floodForeign = "foreign" // valid datagrams sealed under another cluster's key
	floodForged  = "forged"  // the victim's key id in a valid header, random ciphertext
)

// floodPool returns count datagrams of the given mode. victimCookie names
// the victim's key (forged copies its id, which is visible on the wire).
func floodPool(mode string, count int, victimCookie string) ([][]byte, error) {
	rng := rand.New(rand.NewPCG(1, 2))
	pool := make([][]byte, 0, count)
	switch mode {
	case floodGarbage:
		for range count {
			b := make([]byte, 20+rng.IntN(280))
			for i := range b {
				b[i] = byte(rng.Uint32())
			}
			pool = append(pool, b)
		}
	case floodForeign, floodForged:
		other := wire.NewKeyring(wire.DeriveKey("bench-foreign-cluster-cookie-not-the-victims"))
		victimID := wire.DeriveKey(victimCookie).ID()
		for i := range count {
			m := wire.Message{
				Type:      wire.TypeAnnounce,
				Time:      time.Now(),
				Counter:   uint64(i + 1),
				Endpoint4: netip.AddrPortFrom(netip.AddrFrom4([4]byte{198, 18, 200, byte(i)}), 40000),
				Port:      4000,
				Name:      fmt.Sprintf("intruder-%d", i),
				Interval:  5 * time.Second,
			}
			_, _ = crand.Read(m.Instance[:])
			b, err := wire.AppendSeal(nil, other, &m, crand.Reader)
			if err != nil {
				return nil, fmt.Errorf("sealing a foreign datagram: %w", err)
			}
			if mode == floodForged {
				// Same header as the victim's own datagrams (magic,
				// version, type, key id), random nonce and ciphertext:
				// it passes every check before the AEAD and fails that.
				copy(b[6:10], victimID[:])
				for j := 10; j < len(b); j++ {
					b[j] = byte(rng.Uint32())
				}
			}
			pool = append(pool, b)
		}
	default:
		return nil, fmt.Errorf("unknown flood mode %q", mode)
	}
	return pool, nil
}

// workFlood sends datagrams of one mode to the group at a steady rate for
// a duration, in batches (sendmmsg), and reports what it sent.
func workFlood(e *emitter, args []string) error {
	fs := flag.NewFlagSet("flood", flag.ContinueOnError)
	mode := fs.String("mode", floodGarbage, "garbage, foreign, forged or mixed")
	rate := fs.Int("rate", 100_000, "datagrams per second")
	dur := fs.Duration("dur", 5*time.Second, "how long")
	group := fs.String("group", "230.1.1.251:45892", "destination")
	cookie := fs.String("cookie", "", "the victim's cookie (forged mode copies its key id)")
	record := fs.Int("record", 32, "mixed: authentic datagrams to record before flooding")
	if err := fs.Parse(args); err != nil {
		return err
	}
	var pool [][]byte
	var err error
	if *mode == floodMixed {
		g, err := netip.ParseAddrPort(*group)
		if err != nil {
			return err
		}
		rec, err := recordAuthentic(g, *cookie, *record, time.Minute)
		if err != nil {
			return err
		}
		pool = mixedPool(rec, 512)
	} else if pool, err = floodPool(*mode, 512, *cookie); err != nil {
		return err
	}
	dst, err := net.ResolveUDPAddr("udp4", *group)
	if err != nil {
		return err
	}
	c, err := net.DialUDP("udp4", nil, dst)
	if err != nil {
		return err
	}
	defer c.Close()
	_ = c.SetWriteBuffer(4 << 20)
	p := ipv4.NewPacketConn(c)
	if err := p.SetMulticastTTL(1); err != nil {
		return err
	}
	if err := p.SetMulticastLoopback(false); err != nil {
		return err
	}

	const batch = 64
	msgs := make([]ipv4.Message, batch)
	cpu0, _ := cpuTime("self")
	start := time.Now()
	e.emit(message{Type: "ready"})
	var sent, errs uint64
	next := 0
	for {
		el := time.Since(start)
		if el >= *dur {
			break
		}
		target := uint64(float64(*rate) * el.Seconds())
		for sent < target {
			n := int(min(uint64(batch), target-sent))
			for i := range n {
				msgs[i].Buffers = [][]byte{pool[next]}
				next = (next + 1) % len(pool)
			}
			k, err := p.WriteBatch(msgs[:n], 0)
			if err != nil {
				errs++
				if k <= 0 {
					break
				}
			}
			sent += uint64(k)
		}
		time.Sleep(200 * time.Microsecond)
	}
	wall := time.Since(start)
	cpu1, _ := cpuTime("self")
	e.emit(message{Type: "result", Sent: sent, WallMs: ms(wall), CPUms: ms(cpu1 - cpu0),
		Metrics: map[string]float64{"errors": float64(errs)}})
	return nil
}
