package e2e

import (
	"context"
	"log"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mcgossip/go-discover-mcgossip/internal/lab"
	"github.com/mcgossip/go-discover-mcgossip/provider/mcgossip"
)

// Tests on a virtual LAN of network namespaces (internal/lab): every engine
// is created inside a host with Host.Do, so its sockets, and its interface
// scans, belong to that host.

func labConfig(announce bool) *mcgossip.Config {
	c := mcgossip.DefaultConfig()
	c.Cookie = testCookie
	c.Announce = announce
	c.Interval = 300 * time.Millisecond
	c.Timeout = 5 * time.Second
	return c
}

// startOn starts an engine inside host h, or in the test's own namespace
// when h is nil, closed with the test.
func startOn(t testing.TB, h *lab.Host, cfg *mcgossip.Config, l *log.Logger) *mcgossip.Engine {
	t.Helper()
	var e *mcgossip.Engine
	start := func() error {
		var err error
		e, err = mcgossip.NewEngine(cfg, l)
		return err
	}
	run := start
	if h != nil {
		run = func() error { return h.Do(start) }
	}
	if err := run(); err != nil {
		t.Fatalf("starting an engine on %v: %v", h, err)
	}
	t.Cleanup(func() { e.Close() })
	return e
}

// TestLabDiscovery: two clusters with different cookies share the LAN,
// the group and the port; each lookup finds exactly its own cluster.
func TestLabDiscovery(t *testing.T) {
	l := lab.New(t, 7)
	other := func(announce bool) *mcgossip.Config {
		c := labConfig(announce)
		c.Cookie = "the-other-cluster-7d1e9b40c2"
		return c
	}
	var want []string
	for _, h := range l.Hosts()[:4] {
		startOn(t, h, labConfig(true), nil)
		want = append(want, h.Addr.String())
	}
	startOn(t, l.Host(5), other(true), nil)
	obs := startOn(t, l.Host(6), labConfig(false), nil)
	obsOther := startOn(t, l.Host(7), other(false), nil)
	peers, err := obs.Discover(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if got := addrsOf(peers); !slices.Equal(got, want) {
		t.Errorf("found %v, want %v (the hosts' eth0 addresses)", got, want)
	}
	peers, err = obsOther.Discover(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if got, want := addrsOf(peers), []string{l.Host(5).Addr.String()}; !slices.Equal(got, want) {
		t.Errorf("the other cluster's lookup found %v, want %v", got, want)
	}
	// It does receive the first cluster's datagrams, and drops them unread.
	eventually(t, 5*time.Second, "the other cluster's observer drops datagrams sealed with another key",
		func() bool { return obsOther.Stats().Dropped["unknown_key"] > 0 })
}

// TestLabLoss: with 30% of the packets dropped on every host, each way,
// the lookup still finds every peer by asking again.
func TestLabLoss(t *testing.T) {
	const n = 6
	l := lab.New(t, n+1)
	for _, h := range l.Hosts() {
		if err := h.SetLoss(30); err != nil {
			t.Fatal(err)
		}
	}
	var want []string
	for _, h := range l.Hosts()[:n] {
		startOn(t, h, labConfig(true), nil)
		want = append(want, h.Addr.String())
	}
	obs := startOn(t, l.Host(n+1), labConfig(false), nil)
	start := time.Now()
	peers, err := obs.Discover(context.Background(), mcgossip.WithExpect(n), mcgossip.WithTimeout(20*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if got := addrsOf(peers); !slices.Equal(got, want) {
		t.Errorf("found %v, want %v", got, want)
	}
	t.Logf("found %d peers through 30%% loss in %v; drops %v", len(peers), time.Since(start).Round(time.Millisecond), obs.Stats().Dropped)
}

// TestLabLink: a host cut off the LAN expires from its peers' tables, and
// comes back by itself when reconnected, under the same address: on an
// IPv4 LAN and on an IPv6-only one.
func TestLabLink(t *testing.T) {
	for _, f := range []lab.Family{lab.IPv4, lab.IPv6} {
		t.Run(f.String(), func(t *testing.T) {
			l := lab.New(t, 2, lab.WithFamily(f))
			c := func(announce bool) *mcgossip.Config {
				c := labConfig(announce)
				if f == lab.IPv6 {
					c.Family = mcgossip.FamilyIPv6
				}
				return c
			}
			want := l.Host(1).Addr
			if f == lab.IPv6 {
				want = l.Host(1).Addr6
			}
			r := startOn(t, l.Host(1), c(true), nil)
			obs := startOn(t, l.Host(2), c(false), nil)
			ev, unsub := obs.Events()
			defer unsub()
			waitEvent(t, ev, mcgossip.EventJoin, r.ID(), 5*time.Second)
			if err := l.Host(1).SetLink(false); err != nil {
				t.Fatal(err)
			}
			waitEvent(t, ev, mcgossip.EventExpire, r.ID(), 10*time.Second)
			if err := l.Host(1).SetLink(true); err != nil {
				t.Fatal(err)
			}
			j := waitEvent(t, ev, mcgossip.EventJoin, r.ID(), 10*time.Second)
			if j.Peer.Addr != want {
				t.Errorf("rejoined as %v, want %v", j.Peer, want)
			}
		})
	}
}

// TestLabNamespacePinned: engines created in a lab host keep scanning that
// host's interfaces: when an interface of the host goes away and comes
// back, they join the group there again. (Their scanning goroutine runs on
// a thread of its own, switched into the host's namespace; the test's
// namespace has no such interface.)
func TestLabNamespacePinned(t *testing.T) {
	l := lab.New(t, 1)
	h := l.Host(1)
	ip := func(args ...string) {
		t.Helper()
		out, err := h.Command(context.Background(), "ip", args...).CombinedOutput()
		if err != nil {
			t.Fatalf("ip %s on %s: %v: %s", strings.Join(args, " "), h, err, out)
		}
	}
	veth := func() {
		ip("link", "add", "mcgp0", "type", "veth", "peer", "name", "mcgp1")
		ip("addr", "add", "10.78.0.1/24", "dev", "mcgp0")
		ip("link", "set", "mcgp0", "up")
		ip("link", "set", "mcgp1", "up")
	}
	veth()
	cfg := func(announce bool) *mcgossip.Config {
		c := labConfig(announce)
		c.Interfaces = []string{"mcgp0"}
		c.ExcludeLocal = false // the engines share the host
		return c
	}
	logs := newLogBuf()
	r := startOn(t, h, cfg(true), logs.logger())
	obs := startOn(t, h, cfg(false), nil)
	peers, err := obs.Discover(context.Background(), mcgossip.WithExpect(1))
	if err != nil || len(peers) != 1 || peers[0].Addr != netip.MustParseAddr("10.78.0.1") {
		t.Fatalf("before: %v, %v", addrsOf(peers), err)
	}
	ip("link", "del", "mcgp0")
	logs.wait(t, "interface mcgp0 is gone or down", 5*time.Second)
	veth()
	logs.wait(t, "joined 230.1.1.251 on mcgp0 again", 5*time.Second)
	fresh := startOn(t, h, cfg(false), nil)
	peers, err = fresh.Discover(context.Background(), mcgossip.WithExpect(1))
	if err != nil || len(peers) != 1 || peers[0].ID != r.ID() {
		t.Errorf("after the interface came back: %v, %v", addrsOf(peers), err)
	}
}
