package e2e

import (
	"context"
	"net/netip"
	"testing"
	"time"

	"github.com/mcgossip/go-discover-mcgossip/internal/lab"
	"github.com/mcgossip/go-discover-mcgossip/provider/mcgossip"
	"github.com/mcgossip/go-discover-mcgossip/test/internal/attack"
)

// Helpers of the trust tests (trust_test.go): an outsider on the lab LAN
// without the cookie, who records the group and resends what it recorded.

// group is the multicast group of labConfig's engines.
var group = netip.AddrPortFrom(mcgossip.DefaultMulticastAddr, mcgossip.DefaultPort)

// quietConfig is labConfig with answers sent at once: a member then sends
// its answers in the order the queries came in, which bounds the "nothing
// arrives" checks (see quiesce).
func quietConfig(announce bool) *mcgossip.Config {
	c := labConfig(announce)
	c.AnswerJitter = 0
	return c
}

// record starts recording the group on h, until the test ends.
func record(t *testing.T, h *lab.Host) *attack.Recorder {
	t.Helper()
	r, err := attack.Record(h, group)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

// listen opens a UDP socket of h's own address, until the test ends.
func listen(t *testing.T, h *lab.Host) *attack.Conn {
	t.Helper()
	c, err := attack.Listen(h)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// spoofer opens a raw socket on h, until the test ends.
func spoofer(t *testing.T, h *lab.Host) *attack.Spoofer {
	t.Helper()
	s, err := attack.NewSpoofer(h)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// counter counts what h receives, until the test ends.
func counter(t *testing.T, h *lab.Host) *attack.Counter {
	t.Helper()
	c, err := attack.Count(h)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// recorded waits until n datagrams that m matches have been recorded.
func recorded(t *testing.T, r *attack.Recorder, n int, what string, m attack.Match) []attack.Datagram {
	t.Helper()
	got, err := r.Wait(10*time.Second, n, m)
	if err != nil {
		t.Fatalf("recording %s: %v", what, err)
	}
	return got
}

// magic returns each engine's count of datagrams dropped as not mcgossip.
func magic(engines []*mcgossip.Engine) []uint64 {
	out := make([]uint64, len(engines))
	for i, e := range engines {
		out[i] = e.Stats().Dropped["magic"]
	}
	return out
}

// flushed sends attack.Flush through send (the sockets the attack used,
// to the destinations it used, in the same order as the attack's
// datagrams) and returns once every engine has dropped the n of them it
// receives: everything the attack sent before has been processed by then.
func flushed(t *testing.T, engines []*mcgossip.Engine, n int, send func([]byte) error) {
	t.Helper()
	base := magic(engines)
	if err := send(attack.Flush); err != nil {
		t.Fatal(err)
	}
	eventually(t, 10*time.Second, "every engine processed the attack", func() bool {
		now := magic(engines)
		for i := range now {
			if now[i] < base[i]+uint64(n) {
				return false
			}
		}
		return true
	})
}

// quiesce bounds a "nothing arrives" check: a fresh lookup from host w is
// answered by every member (members answer at once, in the order queries
// come in, so whatever the attack made them send went out before), then
// the members stop (Close returns once they can send nothing more), and
// each member host sends a marker to each counter's host; the counters
// hold everything the members ever sent there once every marker is in.
func quiesce(t *testing.T, w *lab.Host, members []*mcgossip.Engine, hosts []*lab.Host, counters ...*attack.Counter) {
	t.Helper()
	witness := startOn(t, w, quietConfig(false), nil)
	peers, err := witness.Discover(context.Background(), mcgossip.WithExpect(len(members)))
	if err != nil || len(peers) != len(members) {
		t.Errorf("after the attack, a fresh lookup found %v (%v); want the %d members", addrsOf(peers), err, len(members))
	}
	witness.Close()
	for _, m := range members {
		m.Close()
	}
	var from []netip.Addr
	for _, h := range hosts {
		from = append(from, h.Addr)
		for _, c := range counters {
			if err := attack.SendMarker(h, c.Addr()); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, c := range counters {
		if err := c.AwaitMarkers(5*time.Second, from...); err != nil {
			t.Fatal(err)
		}
	}
}

// addrsOfHosts returns the hosts' addresses.
func addrsOfHosts(hosts []*lab.Host) []netip.Addr {
	out := make([]netip.Addr, len(hosts))
	for i, h := range hosts {
		out[i] = h.Addr
	}
	return out
}

// eventsAt drains ch and returns the events that put a peer at addr.
func eventsAt(ch <-chan mcgossip.Event, addr netip.Addr) []mcgossip.Event {
	var out []mcgossip.Event
	for {
		select {
		case ev := <-ch:
			if ev.Peer.Addr == addr {
				out = append(out, ev)
			}
		default:
			return out
		}
	}
}

// sizeOf sums the datagrams' lengths.
func sizeOf(ds []attack.Datagram) int {
	n := 0
	for _, d := range ds {
		n += len(d.Data)
	}
	return n
}
