package mcgossip_test

import (
	"context"
	"fmt"
	"io"
	"log"
	"net/netip"
	"runtime"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/mcgossip/go-discover-mcgossip/provider/mcgossip"
	"github.com/mcgossip/go-discover-mcgossip/provider/mcgossip/wire"
)

// benchEngine is an observer on a MemNet, for benchmarks of the receive
// path; its log is discarded (but rate-limiting still runs).
func benchEngine(b *testing.B) *mcgossip.Engine {
	b.Helper()
	c := memConfig(false)
	c.Interval = time.Hour
	e, err := mcgossip.NewMemEngine(mcgossip.NewMemNet(), c, log.New(io.Discard, "", 0))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { e.Close() })
	return e
}

func heapInUse() uint64 {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// BenchmarkPeerTable fills an engine's table with 10,000 peers (through
// the receive path: answers to a query of its own), reports the memory a
// peer costs (B/peer), and then measures a heartbeat from one of them
// (ns/op: opening an authentic announce and updating the table).
func BenchmarkPeerTable(b *testing.B) {
	const peers = 10000
	e := benchEngine(b)
	kr := e.Keyring()
	q := e.PendingQuery()
	insts := make([]wire.InstanceID, peers)
	srcs := make([]netip.AddrPort, peers)
	answers := make([][]byte, peers)
	now := time.Now()
	for i := range insts {
		insts[i] = newInstance()
		srcs[i] = netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, 1, byte(i >> 8), byte(i)}), 40000)
		answers[i] = sealed(b, kr, &wire.Message{Type: wire.TypeAnswer, Instance: insts[i], Time: now, Counter: 1,
			Query: q, Endpoint4: srcs[i], Port: 8301, Name: fmt.Sprintf("node-%05d", i), Interval: time.Hour, Members: peers})
	}
	before := heapInUse()
	for i, d := range answers {
		e.Receive(d, srcs[i], false)
	}
	after := heapInUse()
	runtime.KeepAlive(answers) // so the GC in heapInUse cannot count their freeing
	if n := len(e.Peers()); n != peers {
		b.Fatalf("%d peers in the table, want %d", n, peers)
	}
	perPeer := (float64(after) - float64(before)) / peers
	answers = nil

	// Heartbeats, sealed a round (one per peer) at a time, off the clock.
	round := make([][]byte, peers)
	counter := uint64(1)
	seal := func() {
		counter++
		t := time.Now()
		for i := range round {
			round[i] = sealed(b, kr, &wire.Message{Type: wire.TypeAnnounce, Instance: insts[i], Time: t, Counter: counter,
				Endpoint4: srcs[i], Port: 8301, Name: fmt.Sprintf("node-%05d", i), Interval: time.Hour})
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		j := i % peers
		if j == 0 {
			b.StopTimer()
			seal()
			b.StartTimer()
		}
		e.Receive(round[j], srcs[j], true)
	}
	b.StopTimer()
	if s := e.Stats(); s.DroppedTotal() != 0 {
		b.Fatalf("drops %v", nonZero(s.Dropped))
	}
	b.ReportMetric(perPeer, "B/peer")
}

// BenchmarkReceiveForeign: the cost of dropping a datagram of another
// cluster (another cookie) in the engine's receive path.
func BenchmarkReceiveForeign(b *testing.B) {
	e := benchEngine(b)
	foreign := wire.NewKeyring(wire.NewKey([32]byte{7}))
	src := netip.MustParseAddrPort("10.2.0.1:40000")
	d := sealed(b, foreign, msg(wire.TypeAnnounce, newInstance(), 1, src))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		e.Receive(d, src, true)
	}
	b.StopTimer()
	if got := e.Stats().Dropped["unknown_key"]; got != uint64(b.N) {
		b.Fatalf("%d unknown_key drops, want %d", got, b.N)
	}
}

// BenchmarkReceiveGarbage: the cost of dropping garbage in the engine's
// receive path.
func BenchmarkReceiveGarbage(b *testing.B) {
	e := benchEngine(b)
	authentic := sealed(b, e.Keyring(), msg(wire.TypeAnnounce, newInstance(), 1, netip.MustParseAddrPort("10.2.0.1:40000")))
	forged := slices.Clone(authentic)
	forged[60] ^= 0xff
	cases := []struct {
		name, reason string
		data         []byte
	}{
		{"random", "magic", []byte("\x17\xa2\x00\x91 random bytes of some datagram or other, long enough to look real ...")},
		{"libcluster", "magic", []byte("heartbeat::\x83t\x00\x00\x00\x01d\x00\x04noded\x00\x0ca@198.18.0.1")},
		{"short", "short", []byte("mcg\x02\x01")},
		{"oversized", "too_large", make([]byte, wire.MaxDatagram+1)},
		{"forged", "auth", forged},
	}
	src := netip.MustParseAddrPort("10.2.0.1:40000")
	for _, tc := range cases {
		b.Run(tc.name, func(b *testing.B) {
			before := e.Stats().Dropped[tc.reason]
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				e.Receive(tc.data, src, true)
			}
			b.StopTimer()
			if got := e.Stats().Dropped[tc.reason] - before; got != uint64(b.N) {
				b.Fatalf("%d %s drops, want %d", got, tc.reason, b.N)
			}
		})
	}
}

// BenchmarkReceiveReplay: the cost of dropping an authentic datagram that
// was accepted before (a replay): it opens (one AEAD open) and is stopped
// by the replay store.
func BenchmarkReceiveReplay(b *testing.B) {
	e := benchEngine(b)
	src := netip.MustParseAddrPort("10.2.0.1:40000")
	d := sealed(b, e.Keyring(), msg(wire.TypeQuery, newInstance(), 1, src))
	e.Receive(d, src, true)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		e.Receive(d, src, true)
	}
	b.StopTimer()
	if got := e.Stats().Dropped["replay"]; got != uint64(b.N) {
		b.Fatalf("%d replay drops, want %d", got, b.N)
	}
}

// BenchmarkReceiveQuery: the cost of accepting a fresh query of a looker
// (an observer records it in the replay store and answers nothing).
func BenchmarkReceiveQuery(b *testing.B) {
	e := benchEngine(b)
	src := netip.MustParseAddrPort("10.2.0.1:40000")
	inst := newInstance()
	const batch = 4096
	round := make([][]byte, batch)
	counter := uint64(0)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		j := i % batch
		if j == 0 {
			b.StopTimer()
			for k := range round {
				counter++
				round[k] = sealed(b, e.Keyring(), msg(wire.TypeQuery, inst, counter, src))
			}
			b.StartTimer()
		}
		e.Receive(round[j], src, true)
	}
	b.StopTimer()
	if s := e.Stats(); s.DroppedTotal() != 0 {
		b.Fatalf("drops %v", nonZero(s.Dropped))
	}
}

// BenchmarkAddrs measures lookups with 50 responders on lo with the
// default timing (answer jitter, stable): cold (a fresh engine, as a first
// Addrs in a process or the CLI's addrs) and warm (the engine of an
// earlier Addrs). It reports the median and 90th percentile.
func BenchmarkAddrs(b *testing.B) {
	const responders = 50
	port := nextPort()
	var rs []*mcgossip.Engine
	for i := range responders {
		c := mcgossip.DefaultConfig()
		c.Port, c.Cookie = port, testCookie
		rs = append(rs, startLo(b, withAdvertise(c, i+1), nil))
	}
	// Measure a group that has settled: each responder knows the others
	// (its own lookup ended), so the answers count the whole group, as in
	// a group that has run for a second or more.
	for _, r := range rs {
		if _, err := r.Discover(context.Background(), mcgossip.WithExpect(responders-1)); err != nil {
			b.Fatal(err)
		}
	}
	obsCfg := mcgossip.DefaultConfig()
	obsCfg.Port, obsCfg.Cookie, obsCfg.Announce = port, testCookie, false

	report := func(b *testing.B, d []time.Duration) {
		slices.Sort(d)
		b.ReportMetric(float64(d[len(d)/2].Microseconds())/1000, "ms-p50")
		b.ReportMetric(float64(d[len(d)*9/10].Microseconds())/1000, "ms-p90")
	}
	b.Run("cold", func(b *testing.B) {
		var took []time.Duration
		for i := 0; i < b.N; i++ {
			b.StopTimer()
			e, err := mcgossip.NewEngine(obsCfg, nil)
			if err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
			start := time.Now()
			peers, err := e.Discover(context.Background())
			took = append(took, time.Since(start))
			b.StopTimer()
			e.Close()
			if err != nil || len(peers) != responders {
				b.Fatalf("found %d peers, %v", len(peers), err)
			}
			b.StartTimer()
		}
		report(b, took)
	})
	b.Run("provider-cold", func(b *testing.B) {
		// A new Provider each time: Addrs starts its engine (sockets,
		// join; the key derivation is cached per process) and looks up.
		args := map[string]string{"provider": "mcgossip", "port": strconv.Itoa(port), "cookie": testCookie}
		var took []time.Duration
		for i := 0; i < b.N; i++ {
			p := &mcgossip.Provider{}
			start := time.Now()
			addrs, err := p.Addrs(args, nil)
			took = append(took, time.Since(start))
			b.StopTimer()
			p.Close()
			if err != nil || len(addrs) != responders {
				b.Fatalf("found %d peers, %v", len(addrs), err)
			}
			b.StartTimer()
		}
		report(b, took)
	})
	b.Run("warm", func(b *testing.B) {
		e := startLo(b, obsCfg, nil)
		if _, err := e.Discover(context.Background()); err != nil {
			b.Fatal(err)
		}
		var took []time.Duration
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			start := time.Now()
			peers, err := e.Discover(context.Background())
			took = append(took, time.Since(start))
			if err != nil || len(peers) != responders {
				b.Fatalf("found %d peers, %v", len(peers), err)
			}
		}
		report(b, took)
	})
}
