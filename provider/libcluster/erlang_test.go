package libcluster

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// The tests against real Erlang nodes (testdata/libcluster_node.escript),
// on 127.0.0.1 in the test's network namespace.

var loopback = netip.MustParseAddr("127.0.0.1")

// newChecker returns a Checker for cookie against the epmd on epmdPort that
// counts its connections.
func newChecker(t *testing.T, cookie string, epmdPort uint16) (*Checker, *atomic.Int32) {
	t.Helper()
	var dials atomic.Int32
	d := &net.Dialer{}
	c, err := NewChecker(CheckerConfig{
		Cookie:   []byte(cookie),
		EpmdPort: epmdPort,
		Dial: func(ctx context.Context, network, addr string) (net.Conn, error) {
			dials.Add(1)
			return d.DialContext(ctx, network, addr)
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	return c, &dials
}

func check(t *testing.T, c *Checker, node string) Verdict {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), erlWait)
	defer cancel()
	return c.Check(ctx, Node(node), loopback)
}

// TestErlangHeartbeats decodes the heartbeats that real OTP sends, in both
// modes, with this OTP's atoms (ATOM_EXT on OTP 25) and with OTP 26's
// (SMALL_ATOM_UTF8_EXT, which OTP 25 writes given minor_version 2),
// received on a multicast group on lo.
func TestErlangHeartbeats(t *testing.T) {
	requireErlang(t)
	lo, err := net.InterfaceByName("lo")
	if err != nil {
		t.Fatal(err)
	}
	group := &net.UDPAddr{IP: net.IPv4(239, 255, 77, 1), Port: 45892}
	conn, err := net.ListenMulticastUDP("udp4", lo, group)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	cases := []struct {
		atoms  string
		secret string
		tag    byte
	}{
		{"latin1", "", etfAtom},
		{"utf8", "", etfSmallAtomUTF8},
		{"latin1", "lab-secret-123", etfAtom},
		{"utf8", "lab-secret-123", etfSmallAtomUTF8},
	}
	for _, tc := range cases {
		t.Run(tc.atoms+"/secret="+tc.secret, func(t *testing.T) {
			node := "hb_" + tc.atoms + "@127.0.0.1"
			args := []string{"node=" + node, "group=" + group.IP.String(), "port=" + strconv.Itoa(group.Port),
				"if=127.0.0.1", "ttl=0", "atoms=" + tc.atoms}
			d := NewDecoder()
			if tc.secret != "" {
				requireCrypto(t)
				args = append(args, "secret="+tc.secret)
				d = NewSecretDecoder(tc.secret)
			}
			b := startBeam(t, 0, args...)
			for range 3 {
				b.do("beat")
				size, _ := strconv.Atoi(strings.Fields(b.expect("sent "))[1])
				buf := make([]byte, MaxDatagram+1)
				_ = conn.SetReadDeadline(time.Now().Add(erlWait))
				n, src, err := conn.ReadFromUDPAddrPort(buf)
				if err != nil {
					t.Fatal(err)
				}
				if n != size {
					t.Fatalf("received %d bytes, the node sent %d", n, size)
				}
				got, err := d.Decode(buf[:n])
				if err != nil || got != Node(node) {
					t.Fatalf("Decode = %q, %v; want %q", got, err, node)
				}
				if a, err := got.DialAddr(src.Addr()); err != nil || a != loopback {
					t.Fatalf("DialAddr(%v) = %v, %v", src.Addr(), a, err)
				}
				if tc.secret == "" && buf[len(Prefix)+6] != tc.tag {
					t.Fatalf("atom tag %d, want %d", buf[len(Prefix)+6], tc.tag)
				}
				if _, err := NewSecretDecoder("another").Decode(buf[:n]); tc.secret != "" && ReasonOf(err) != ReasonSecret {
					t.Fatalf("another secret: %v", err)
				}
			}
		})
	}
}

// TestErlangCookieMatch checks a node with the same cookie: a match, seen
// by the node only as a hidden node while the connection is open, and gone
// once it closes; the node logs nothing.
func TestErlangCookieMatch(t *testing.T) {
	b, port := erlangNode(t, "match@127.0.0.1", "right-cookie")
	c, _ := newChecker(t, "right-cookie", port)
	const probe = "mcgossip@127.0.0.1"
	var during [2]string
	c.afterMatch = func() {
		b.expect("nodeup " + probe + " hidden")
		during[0], during[1], _ = b.nodes()
	}
	v := check(t, c, b.name)
	if v.Result != Match || v.Err != nil || v.Port == 0 || v.Creation == 0 || v.Cached {
		t.Fatalf("verdict %+v, want a fresh match with port and creation", v)
	}
	if during[0] != "[]" || !strings.Contains(during[1], probe) {
		t.Errorf("while connected: nodes() = %s, nodes(hidden) = %s; want only a hidden %s", during[0], during[1], probe)
	}
	b.expect("nodedown " + probe + " hidden")
	visible, hidden, logged := b.nodes()
	if visible != "[]" || hidden != "[]" || logged != 0 {
		t.Errorf("after: nodes() = %s, nodes(hidden) = %s, %d log events; want none", visible, hidden, logged)
	}
}

// TestErlangCookieMismatch checks a node with another cookie: a mismatch,
// one error logged by the node, and the verdict given again from the cache
// without contacting the node.
func TestErlangCookieMismatch(t *testing.T) {
	b, port := erlangNode(t, "mismatch@127.0.0.1", "their-cookie")
	c, dials := newChecker(t, "our-cookie", port)
	v := check(t, c, b.name)
	if v.Result != Mismatch || !errors.Is(v.Err, ErrCookie) || v.Creation == 0 {
		t.Fatalf("verdict %+v, want a mismatch with creation", v)
	}
	if strings.Contains(v.Err.Error(), "our-cookie") {
		t.Errorf("the error shows the cookie: %v", v.Err)
	}
	if _, _, logged := b.nodes(); logged != 1 {
		t.Errorf("the node logged %d events, want 1 (the rejected challenge reply)", logged)
	}
	before := dials.Load()
	for range 5 {
		if v2 := check(t, c, b.name); v2.Result != Mismatch || !v2.Cached {
			t.Fatalf("again: %+v, want the cached mismatch", v2)
		}
	}
	if n := dials.Load() - before; n != 0 {
		t.Errorf("%d connections for cached verdicts", n)
	}
	if visible, hidden, logged := b.nodes(); visible != "[]" || hidden != "[]" || logged != 1 {
		t.Errorf("nodes() = %s, nodes(hidden) = %s, %d log events; want none, none, 1", visible, hidden, logged)
	}
}

// TestErlangShortNames checks a node with a short name, whose host part
// is a host name: it is checked at its heartbeat's source address, and
// takes our long-named probe.
func TestErlangShortNames(t *testing.T) {
	requireErlang(t)
	port := startEpmd(t)
	b := startBeam(t, port, "name=short@localhost", "names=short", "cookie=c", "dist_if=127.0.0.1")
	addr, err := Node(b.name).DialAddr(loopback)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := newChecker(t, "c", port)
	if v := c.Check(context.Background(), Node(b.name), addr); v.Result != Match {
		t.Fatalf("verdict %+v", v)
	}
	b.expect("nodedown mcgossip@127.0.0.1 hidden")
	if visible, hidden, n := b.nodes(); visible != "[]" || hidden != "[]" || n != 0 {
		t.Errorf("nodes() = %s, nodes(hidden) = %s, %d log events; want none", visible, hidden, n)
	}
}

// clock is a settable time for the Checker's back-off.
type clock struct{ t atomic.Int64 }

func newClock() *clock {
	c := &clock{}
	c.t.Store(time.Now().UnixNano())
	return c
}

func (c *clock) now() time.Time      { return time.Unix(0, c.t.Load()) }
func (c *clock) add(d time.Duration) { c.t.Add(int64(d)) }

// logged returns how many warnings and errors the node has logged.
func logged(t *testing.T, b *beam) int {
	t.Helper()
	_, _, n := b.nodes()
	return n
}

// TestErlangBackoff follows a mismatched node over time: rechecks every 30
// seconds that stop at the node's challenge (silent on the node) while its
// incarnation stays; the cookie proved again, with an error logged, only
// after the back-off (1 minute, then 2); and at once when the node
// restarts, now with the right cookie.
func TestErlangBackoff(t *testing.T) {
	b, port := erlangNode(t, "backoff@127.0.0.1", "their-cookie")
	c, dials := newChecker(t, "our-cookie", port)
	clk := newClock()
	c.now = clk.now

	first := check(t, c, b.name)
	if first.Result != Mismatch || logged(t, b) != 1 {
		t.Fatalf("first: %+v", first)
	}
	clk.add(recheck + time.Second) // 31 s: a silent recheck
	before := dials.Load()
	v := check(t, c, b.name)
	if v.Result != Mismatch || !v.Cached || v.Creation != first.Creation {
		t.Fatalf("recheck: %+v, want the cached mismatch of creation %d", v, first.Creation)
	}
	if n := dials.Load() - before; n != 2 {
		t.Errorf("recheck made %d connections, want 2 (epmd, the node)", n)
	}
	if n := logged(t, b); n != 1 {
		t.Errorf("the node logged %d events after a recheck, want still 1", n)
	}
	clk.add(rejectBackoff) // 1m31s: proved again
	if v := check(t, c, b.name); v.Result != Mismatch || v.Cached || logged(t, b) != 2 {
		t.Fatalf("after the back-off: %+v, want a fresh mismatch and a second log event", v)
	}
	clk.add(rejectBackoff + time.Second) // the back-off has doubled: silent
	if v := check(t, c, b.name); v.Result != Mismatch || !v.Cached || logged(t, b) != 2 {
		t.Fatalf("within the doubled back-off: %+v, want the cached mismatch", v)
	}

	// The node restarts with the right cookie: a new incarnation is checked
	// at the next recheck.
	b.do("quit")
	b.wait()
	restarted := startBeam(t, port, "name=backoff@127.0.0.1", "cookie=our-cookie", "dist_if=127.0.0.1")
	clk.add(recheck)
	v = check(t, c, restarted.name)
	if v.Result != Match || v.Cached || v.Creation == first.Creation {
		t.Fatalf("after the restart: %+v, want a fresh match of another creation", v)
	}
	if n := logged(t, restarted); n != 0 {
		t.Errorf("the restarted node logged %d events", n)
	}
}

// TestErlangCheckFailures checks the verdicts that are not about the cookie.
func TestErlangCheckFailures(t *testing.T) {
	b, port := erlangNode(t, "fail@127.0.0.1", "c")
	c, _ := newChecker(t, "c", port)

	if v := check(t, c, "nobody@127.0.0.1"); v.Result != Unreachable || !errors.Is(v.Err, ErrNotRegistered) {
		t.Errorf("a node epmd does not know: %+v", v)
	}
	// epmd knows the node by its name part only: the node at that port
	// then calls itself fail@127.0.0.1, not fail@elsewhere.
	if v := check(t, c, "fail@elsewhere"); v.Result != ProtocolError || !errors.Is(v.Err, ErrProtocol) {
		t.Errorf("another node than the heartbeat named: %+v", v)
	}
	noEpmd, _ := newChecker(t, "c", port+100)
	if v := check(t, noEpmd, b.name); v.Result != Unreachable || v.Err == nil {
		t.Errorf("no epmd: %+v", v)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if v := c.Check(ctx, Node(b.name), loopback); v.Result != Unreachable || !errors.Is(v.Err, context.Canceled) {
		t.Errorf("a cancelled context: %+v", v)
	}
	if _, _, n := b.nodes(); n != 0 {
		t.Errorf("the node logged %d events", n)
	}
}

// TestErlangHandshakeLatency measures full checks (epmd, handshake,
// close) of a local node, and logs the figures.
func TestErlangHandshakeLatency(t *testing.T) {
	b, port := erlangNode(t, "latency@127.0.0.1", "c")
	const runs = 30
	var took []time.Duration
	for range runs {
		c, _ := newChecker(t, "c", port) // a fresh cache: a full check each time
		start := time.Now()
		if v := check(t, c, b.name); v.Result != Match {
			t.Fatalf("%+v", v)
		}
		took = append(took, time.Since(start))
		b.expect("nodedown ") // one probe connected at a time
	}
	slices.Sort(took)
	t.Logf("full check of a local node, %d runs: min %v, median %v, max %v",
		runs, took[0].Round(time.Microsecond), took[runs/2].Round(time.Microsecond), took[runs-1].Round(time.Microsecond))
}
