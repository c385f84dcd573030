package libcluster

import (
	"context"
	"encoding/binary"
	"errors"
	"net"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// countingChecker returns a Checker for cookie "c" against epmd on
// epmdPort, on a settable clock, and the count of its connections.
func countingChecker(t *testing.T, epmdPort uint16) (*Checker, *clock, *atomic.Int32) {
	t.Helper()
	c, dials := newChecker(t, "c", epmdPort)
	clk := newClock()
	c.now = clk.now
	return c, clk, dials
}

// TestCheckerBackoffWithoutCookie checks the waits after checks that did
// not reach the cookie: 2 s doubling after a failure, and 1 minute
// doubling, without any contact, after a not_allowed (which the node
// logs).
func TestCheckerBackoffWithoutCookie(t *testing.T) {
	epmd := fakeEpmd(t, func(string) []byte { return []byte{epmdPort2Resp, 1} })
	walk(t, "not registered", epmd, ErrNotRegistered, []step{
		{0, true},
		{time.Second, false},
		{time.Second, true}, // 2 s
		{3 * time.Second, false},
		{time.Second, true}, // 4 s
	})
	port := serve(t, func(c net.Conn) { status("snot_allowed")(t, c) })
	epmd = fakeEpmd(t, func(name string) []byte { return port2Resp(name, port, 6, 6) })
	walk(t, "not_allowed", epmd, ErrNotAllowed, []step{
		{0, true},
		{recheck + time.Second, false}, // no recheck: the incarnation is unknown
		{30 * time.Second, true},       // 1 min
		{time.Minute + 59*time.Second, false},
		{time.Second, true}, // 2 min
	})
}

// step is a check some time after the previous one, and whether it
// contacts epmd or the node.
type step struct {
	advance time.Duration
	contact bool
}

// walk checks node n@127.0.0.1 (with epmd on epmdPort) at each step, each
// time an Unreachable verdict with want.
func walk(t *testing.T, name string, epmdPort uint16, want error, steps []step) {
	t.Helper()
	c, clk, dials := countingChecker(t, epmdPort)
	for i, s := range steps {
		clk.add(s.advance)
		before := dials.Load()
		v := c.Check(context.Background(), "n@127.0.0.1", loopback)
		if v.Result != Unreachable || !errors.Is(v.Err, want) {
			t.Fatalf("%s, step %d: %+v", name, i, v)
		}
		if got := dials.Load() > before; got != s.contact {
			t.Fatalf("%s, step %d (+%v): contacted %v, want %v", name, i, s.advance, got, s.contact)
		}
	}
}

// TestCheckerConcurrent checks that concurrent checks of one node make one
// handshake, and all get its match.
func TestCheckerConcurrent(t *testing.T) {
	var handshakes atomic.Int32
	c := scripted(t, func(t *testing.T, conn net.Conn) {
		handshakes.Add(1)
		upToChallenge(t, conn)
		r := recvMsg(t, conn)
		if len(r) == 21 {
			sendMsg(conn, append([]byte{'a'}, digest([]byte("c"), binary.BigEndian.Uint32(r[1:5]))...))
		}
	})
	var wg sync.WaitGroup
	verdicts := make([]Verdict, 10)
	for i := range verdicts {
		wg.Go(func() { verdicts[i] = c.Check(context.Background(), "n@127.0.0.1", loopback) })
	}
	wg.Wait()
	for i, v := range verdicts {
		if v.Result != Match {
			t.Errorf("check %d: %+v", i, v)
		}
	}
	if n := handshakes.Load(); n != 1 {
		t.Errorf("%d handshakes, want 1", n)
	}
}

// TestCheckerForgets checks that the checker remembers at most maxEntries
// nodes, forgetting the least recently checked.
func TestCheckerForgets(t *testing.T) {
	epmd := fakeEpmd(t, func(string) []byte { return []byte{epmdPort2Resp, 1} })
	c, clk, _ := countingChecker(t, epmd)
	for i := range maxEntries {
		c.entry(key{Node("n@h"), netip.AddrFrom4([4]byte{10, 0, byte(i >> 8), byte(i)})})
		clk.add(time.Millisecond)
	}
	oldest := key{Node("n@h"), netip.AddrFrom4([4]byte{10, 0, 0, 0})}
	c.Check(context.Background(), "n@127.0.0.1", loopback)
	if len(c.nodes) != maxEntries {
		t.Errorf("%d entries, want %d", len(c.nodes), maxEntries)
	}
	if c.nodes[oldest] != nil {
		t.Error("the least recently checked node is still remembered")
	}
}

// TestNewChecker checks the configuration errors, which never show the
// cookie.
func TestNewChecker(t *testing.T) {
	bad := []CheckerConfig{
		{},
		{Cookie: make([]byte, 256)},
		{Cookie: []byte("secret-cookie"), ProbeName: "a@b"},
		{Cookie: []byte("secret-cookie"), ProbeName: "a b"},
	}
	for _, cfg := range bad {
		_, err := NewChecker(cfg)
		if err == nil {
			t.Errorf("NewChecker(%+v) accepted", cfg)
			continue
		}
		if strings.Contains(err.Error(), "secret-cookie") {
			t.Errorf("error shows the cookie: %v", err)
		}
	}
	c, err := NewChecker(CheckerConfig{Cookie: []byte("x")})
	if err != nil || c.name != DefaultProbeName || c.epmdPort != DefaultEpmdPort || c.creation < 4 {
		t.Errorf("defaults: %+v, %v", c, err)
	}
}
