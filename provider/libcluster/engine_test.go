package libcluster

import (
	"context"
	"fmt"
	"log"
	"net"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Engine tests on lo, in the test's network namespace: heartbeats made
// here (helpers_test.go) or sent by the escript.

// testGroup is the group of the engine tests; each test has a port.
var testGroup = netip.MustParseAddr("239.255.77.2")

var enginePorts atomic.Int32

func init() { enginePorts.Store(46000) }

// loEngine starts an engine on lo with the test's settings, closed with
// the test, and returns it with its log.
func loEngine(t *testing.T, set func(*Config)) (*Engine, *logBuf) {
	t.Helper()
	c := DefaultConfig()
	c.Port = int(enginePorts.Add(1))
	c.MulticastAddr = testGroup
	c.Interfaces = []string{"lo"}
	c.Timeout = 10 * time.Second
	if set != nil {
		set(c)
	}
	logs := &logBuf{}
	e, err := NewEngine(c, log.New(logs, "", 0))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := e.Close(); err != nil {
			t.Error(err)
		}
	})
	return e, logs
}

// sender sends datagrams to the engine's group from 127.0.0.1.
func sender(t *testing.T, e *Engine) func(...[]byte) {
	t.Helper()
	// Bound to 127.0.0.1: unbound, the datagrams' source on lo would be
	// 0.0.0.0 here.
	c, err := net.DialUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)}, net.UDPAddrFromAddrPort(netip.AddrPortFrom(e.cfg.MulticastAddr, uint16(e.cfg.Port))))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return func(ds ...[]byte) {
		t.Helper()
		for _, d := range ds {
			if _, err := c.Write(d); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// plain returns a plain heartbeat of node, with OTP 25's atoms.
func plain(node string) []byte { return heartbeat(node, etfAtom, etfAtom) }

// waitEvent returns the next event of kind about node, failing after 10
// seconds.
func waitEvent(t *testing.T, ch <-chan Event, kind EventKind, node string) Event {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case ev := <-ch:
			if ev.Kind == kind && string(ev.Node.Node) == node {
				return ev
			}
		case <-timeout:
			t.Fatalf("no %v event of %s within 10s", kind, node)
		}
	}
}

// waitFor waits until cond holds on the engine's stats, failing after 10
// seconds.
func waitFor(t *testing.T, e *Engine, what string, cond func(Stats) bool) Stats {
	t.Helper()
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	timeout := time.After(10 * time.Second)
	for {
		if s := e.Stats(); cond(s) {
			return s
		}
		select {
		case <-tick.C:
		case <-timeout:
			t.Fatalf("%s: not within 10s; stats %+v", what, e.Stats())
		}
	}
}

// logBuf collects log lines.
type logBuf struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *logBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuf) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func (l *logBuf) count(sub string) int { return strings.Count(l.String(), sub) }

func names(nodes []NodeInfo) []string {
	var out []string
	for _, n := range nodes {
		out = append(out, string(n.Node))
	}
	return out
}

// TestEngineWithoutCookie: without a cookie every node heard is listed
// (said once in the log); Addrs deduplicates the addresses; hostile and
// foreign datagrams are counted and change nothing.
func TestEngineWithoutCookie(t *testing.T) {
	e, logs := loEngine(t, nil)
	ev, unsub := e.Events()
	defer unsub()
	send := sender(t, e)
	send(plain("a@127.0.0.1"), heartbeat("b@localhost", etfSmallAtomUTF8, etfSmallAtomUTF8))
	waitEvent(t, ev, EventJoin, "a@127.0.0.1")
	waitEvent(t, ev, EventJoin, "b@localhost")

	before := e.Nodes()
	hostile := [][]byte{
		[]byte("heartbeat::\x83\x74\xff\xff"),                     // what crashes libcluster (too short here)
		append(plain("c@127.0.0.1"), 0),                           // a byte after the term
		plain("spoof@10.9.9.9"),                                   // a name that is not its source
		seal("another secret", [16]byte{1}, plain("d@127.0.0.1")), // secret mode
		append([]byte(Prefix), make([]byte, 2000)...),             // too large
		plain("nonode@nohost"),
	}
	send(hostile...)
	send(plain("sentinel@127.0.0.1"))
	waitEvent(t, ev, EventJoin, "sentinel@127.0.0.1")
	after := e.Nodes()
	if got := names(after); !slices.Equal(got, []string{"a@127.0.0.1", "b@localhost", "sentinel@127.0.0.1"}) {
		t.Errorf("nodes %v", got)
	}
	for i := range before {
		if after[i].FirstSeen != before[i].FirstSeen || after[i].Node != before[i].Node {
			t.Errorf("node %d changed: %+v, then %+v", i, before[i], after[i])
		}
	}
	s := e.Stats()
	for reason, n := range map[string]uint64{"short": 1, "term": 1, "source": 1, "prefix": 1, "too_large": 1, "name": 1} {
		if s.Dropped[reason] != n {
			t.Errorf("dropped %q: %d, want %d (%v)", reason, s.Dropped[reason], n, s.Dropped)
		}
	}
	nodes, err := e.Discover(context.Background(), WithExpect(3))
	if err != nil {
		t.Fatal(err)
	}
	if got := nodes.Addrs(false); !slices.Equal(got, []string{"127.0.0.1"}) {
		t.Errorf("Addrs = %v, want one 127.0.0.1 for three nodes", got)
	}
	if n := logs.count("no erlang_cookie: every node heard is listed"); n != 1 {
		t.Errorf("the open-group warning is logged %d times, want 1:\n%s", n, logs)
	}
	if !strings.Contains(logs.String(), "node a@127.0.0.1 at 127.0.0.1 listed") {
		t.Errorf("no log line names the node:\n%s", logs)
	}
}

// TestEngineSecret: in secret mode only the heartbeats of the secret
// count; with a wrong secret nothing is listed.
func TestEngineSecret(t *testing.T) {
	right, _ := loEngine(t, func(c *Config) { c.Secret = "lab-secret-123" })
	wrong, _ := loEngine(t, func(c *Config) { c.Secret = "not-the-secret"; c.Port = right.cfg.Port })
	ev, unsub := right.Events()
	defer unsub()
	send := sender(t, right)
	send(plain("plain@127.0.0.1"), seal("lab-secret-123", [16]byte{7}, heartbeat("s@127.0.0.1", etfSmallAtomUTF8, etfSmallAtomUTF8)))
	waitEvent(t, ev, EventJoin, "s@127.0.0.1")
	if got := names(right.Nodes()); !slices.Equal(got, []string{"s@127.0.0.1"}) {
		t.Errorf("right secret: %v", got)
	}
	s := waitFor(t, wrong, "the wrong secret's engine drops both", func(s Stats) bool { return s.Dropped["plain"]+s.Dropped["secret"] == 2 })
	if s.Nodes != 0 || s.Dropped["plain"] != 1 {
		t.Errorf("wrong secret: %+v", s)
	}
}

// TestEngineExpire: a node that stops sending is forgotten after Expire.
func TestEngineExpire(t *testing.T) {
	e, logs := loEngine(t, func(c *Config) { c.Expire = 200 * time.Millisecond })
	ev, unsub := e.Events()
	defer unsub()
	sender(t, e)(plain("a@127.0.0.1"))
	j := waitEvent(t, ev, EventJoin, "a@127.0.0.1")
	x := waitEvent(t, ev, EventExpire, "a@127.0.0.1")
	if d := x.Time.Sub(j.Time); d < 200*time.Millisecond {
		t.Errorf("expired %v after joining", d)
	}
	if s := e.Stats(); s.Nodes != 0 {
		t.Errorf("%d nodes left", s.Nodes)
	}
	if !strings.Contains(logs.String(), "node a@127.0.0.1 at 127.0.0.1 forgotten: no heartbeat for 200ms") {
		t.Errorf("log:\n%s", logs)
	}
}

// TestEngineRateLimit: one source brings at most sourceBurst new names at
// once; the rest are dropped and counted.
func TestEngineRateLimit(t *testing.T) {
	e, _ := loEngine(t, nil)
	send := sender(t, e)
	const n = 40
	for i := range n {
		send(plain(fmt.Sprintf("n%d@127.0.0.1", i)))
	}
	s := waitFor(t, e, "every heartbeat handled", func(s Stats) bool { return s.Heartbeats+s.Dropped["rate"] == n })
	// A token may come back during the burst.
	if s.Nodes < sourceBurst || s.Nodes > sourceBurst+1 || s.Dropped["rate"] != uint64(n-s.Nodes) {
		t.Errorf("%d nodes, %d dropped; want %d (or one more)", s.Nodes, s.Dropped["rate"], sourceBurst)
	}
}

// TestEngineLookupListens: a lookup without expect returns once the engine
// has listened for a whole gap (shortened here), and a later lookup of the
// warm engine at once.
func TestEngineLookupListens(t *testing.T) {
	const listen = 300 * time.Millisecond
	e, _ := loEngine(t, func(c *Config) { c.listen = listen })
	sender(t, e)(plain("a@127.0.0.1"))
	nodes, err := e.Discover(context.Background())
	if err != nil || len(nodes) != 1 {
		t.Fatalf("%v, %v", nodes, err)
	}
	if age := time.Since(e.started); age < listen {
		t.Errorf("the lookup returned %v after the start, before listening for %v", age, listen)
	}
	start := time.Now()
	if nodes, err := e.Discover(context.Background()); err != nil || len(nodes) != 1 {
		t.Fatalf("warm: %v, %v", nodes, err)
	}
	if d := time.Since(start); d > listen {
		t.Errorf("a warm lookup took %v", d)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := e.Discover(ctx, WithExpect(5)); err != context.Canceled {
		t.Errorf("cancelled: %v", err)
	}
	e.Close()
	if _, err := e.Discover(context.Background()); err != ErrClosed {
		t.Errorf("closed: %v", err)
	}
}
