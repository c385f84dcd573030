package mcgossip_test

import (
	"context"
	"errors"
	"log"
	"net"
	"net/netip"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/net/ipv4"

	"github.com/mcgossip/go-discover-mcgossip/provider/mcgossip"
	"github.com/mcgossip/go-discover-mcgossip/provider/mcgossip/wire"
)

// Tests with real sockets, on the loopback interface of the test's private
// network namespace (see TestMain), where 224.0.0.0/4 is routed to lo.

// loConfig is a configuration for an engine on lo. Engines of one test
// share a port; different tests use different ports. They are all on this
// host, so lookups keep this host's peers (ExcludeLocal false).
func loConfig(port int, announce bool) *mcgossip.Config {
	c := mcgossip.DefaultConfig()
	c.ExcludeLocal = false
	c.Port = port
	c.Cookie = testCookie
	c.Announce = announce
	c.Interval = time.Second
	c.AnswerJitter = 5 * time.Millisecond
	c.Timeout = 5 * time.Second
	return c
}

// withAdvertise returns c advertising 192.0.2.i, so that engines on lo
// have distinct addresses (not this host's: lookups keep them).
func withAdvertise(c *mcgossip.Config, i int) *mcgossip.Config {
	c.Advertise = netip.AddrFrom4([4]byte{192, 0, 2, byte(i)})
	return c
}

func startLo(t testing.TB, cfg *mcgossip.Config, l *log.Logger) *mcgossip.Engine {
	t.Helper()
	e, err := mcgossip.NewEngine(cfg, l)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	return e
}

func TestLoDiscovery(t *testing.T) {
	checkNoLeak(t)
	port := nextPort()
	var a, b []*mcgossip.Engine
	var wantA []string
	for i := range 5 {
		a = append(a, startLo(t, withAdvertise(loConfig(port, true), 10+i), nil))
		wantA = append(wantA, "192.0.2."+strconv.Itoa(10+i))
	}
	cb := loConfig(port, true)
	cb.Cookie = "the-other-cluster-7d1e9b"
	for i := range 3 {
		b = append(b, startLo(t, withAdvertise(cb, 20+i), nil))
	}
	open := loConfig(port, true)
	open.Cookie = ""
	startLo(t, withAdvertise(open, 30), nil)

	obsA := startLo(t, loConfig(port, false), nil)
	obsBcfg := *cb
	obsBcfg.Announce, obsBcfg.Advertise = false, netip.Addr{}
	obsB := startLo(t, &obsBcfg, nil)

	cases := []struct {
		name string
		e    *mcgossip.Engine
		want []string
	}{
		{"observer of cluster a", obsA, wantA},
		{"observer of cluster b", obsB, []string{"192.0.2.20", "192.0.2.21", "192.0.2.22"}},
		{"member of cluster a, not itself", a[0], wantA[1:]},
		{"member of cluster b, not itself", b[1], []string{"192.0.2.20", "192.0.2.22"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			peers, err := tc.e.Discover(context.Background(), mcgossip.WithStable(100*time.Millisecond))
			if err != nil {
				t.Fatal(err)
			}
			if got := addrsOf(peers); !slices.Equal(got, tc.want) {
				t.Errorf("found %v, want %v", got, tc.want)
			}
		})
	}
	if s := obsA.Stats(); s.Dropped["unknown_key"] == 0 || s.Loopback == 0 {
		t.Errorf("observer a's stats %+v: want unknown_key drops (cluster b and the open group share its group) and loopback", s)
	}
}

func TestLoExpectAndTimeout(t *testing.T) {
	port := nextPort()
	for i := range 3 {
		startLo(t, withAdvertise(loConfig(port, true), 40+i), nil)
	}
	obs := startLo(t, loConfig(port, false), nil)
	peers, err := obs.Discover(context.Background(), mcgossip.WithExpect(3), mcgossip.WithStable(time.Minute))
	if err != nil || len(peers) != 3 {
		t.Fatalf("expect 3: %v, %v", addrsOf(peers), err)
	}
	lonely := startLo(t, loConfig(nextPort(), false), nil)
	start := time.Now()
	peers, err = lonely.Discover(context.Background(), mcgossip.WithTimeout(300*time.Millisecond))
	if err != nil || len(peers) != 0 || time.Since(start) < 300*time.Millisecond {
		t.Errorf("alone: %v, %v after %v; want nothing, no error, after the timeout", peers, err, time.Since(start))
	}
}

func TestLoLeave(t *testing.T) {
	checkNoLeak(t)
	port := nextPort()
	slow := func(c *mcgossip.Config) *mcgossip.Config { c.Interval = time.Hour; return c }
	keep := startLo(t, withAdvertise(slow(loConfig(port, true)), 50), nil)
	leaver := startLo(t, withAdvertise(slow(loConfig(port, true)), 51), nil)
	obs := startLo(t, slow(loConfig(port, false)), nil)
	ev, unsub := obs.Events()
	defer unsub()
	peers, err := obs.Discover(context.Background(), mcgossip.WithExpect(2))
	if err != nil || len(peers) != 2 {
		t.Fatalf("before: %v, %v", addrsOf(peers), err)
	}
	leaver.Close()
	waitEvent(t, ev, mcgossip.EventLeave, leaver.ID(), 5*time.Second)
	peers, err = obs.Discover(context.Background())
	if err != nil || len(peers) != 1 || peers[0].ID != keep.ID() {
		t.Errorf("after the leave: %v, %v; want only 192.0.2.50", addrsOf(peers), err)
	}
}

// groupSocket opens a socket on the group and port, as an engine's, joined
// on lo, for capturing and injecting datagrams.
func groupSocket(t testing.TB, port int) (*net.UDPConn, *ipv4.PacketConn) {
	t.Helper()
	pc, err := reuseConfig.ListenPacket(context.Background(), "udp4", netip.AddrPortFrom(mcgossip.DefaultMulticastAddr, uint16(port)).String())
	if err != nil {
		t.Fatal(err)
	}
	c := pc.(*net.UDPConn)
	t.Cleanup(func() { c.Close() })
	p := ipv4.NewPacketConn(c)
	lo, err := net.InterfaceByName("lo")
	if err != nil {
		t.Fatal(err)
	}
	if err := p.JoinGroup(lo, &net.UDPAddr{IP: mcgossip.DefaultMulticastAddr.AsSlice()}); err != nil {
		t.Fatal(err)
	}
	if err := p.SetMulticastInterface(lo); err != nil {
		t.Fatal(err)
	}
	if err := p.SetMulticastLoopback(true); err != nil {
		t.Fatal(err)
	}
	return c, p
}

// recorder keeps the datagrams of one instance that a group socket sees.
type recorder struct {
	mu   sync.Mutex
	got  [][]byte
	seen map[wire.Type]int
	ch   chan struct{}
	done chan struct{}
}

func record(c *net.UDPConn, kr *wire.Keyring, id wire.InstanceID) *recorder {
	r := &recorder{seen: map[wire.Type]int{}, ch: make(chan struct{}, 1), done: make(chan struct{})}
	go func() {
		defer close(r.done)
		buf := make([]byte, 2048)
		for {
			n, _, err := c.ReadFromUDPAddrPort(buf)
			if err != nil {
				return
			}
			var m wire.Message
			if wire.Open(kr, buf[:n], &m) != nil || m.Instance != id {
				continue
			}
			r.mu.Lock()
			r.got = append(r.got, slices.Clone(buf[:n]))
			r.seen[m.Type]++
			r.mu.Unlock()
			select {
			case r.ch <- struct{}{}:
			default:
			}
		}
	}()
	return r
}

// waitType waits until the recorder has seen n messages of type typ.
func (r *recorder) waitType(t testing.TB, typ wire.Type, n int, d time.Duration) {
	t.Helper()
	deadline := time.NewTimer(d)
	defer deadline.Stop()
	for {
		r.mu.Lock()
		got := r.seen[typ]
		r.mu.Unlock()
		if got >= n {
			return
		}
		select {
		case <-r.ch:
		case <-deadline.C:
			t.Fatalf("fewer than %d %v captured within %v", n, typ, d)
		}
	}
}

func (r *recorder) datagrams() [][]byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.got)
}

// TestLoReplay captures a peer's real sealed multicast datagrams (announces,
// queries, leave) off the group, and re-injects them onto the group after
// the peer left: it must not come back, for an engine that saw it leave nor
// in the lookup of one that never knew it.
func TestLoReplay(t *testing.T) {
	port := nextPort()
	capConn, _ := groupSocket(t, port)
	_, inject := groupSocket(t, port)
	obsCfg := loConfig(port, false)
	obs := startLo(t, obsCfg, nil)
	ev, unsub := obs.Events()
	defer unsub()
	b, err := mcgossip.NewEngine(withAdvertise(loConfig(port, true), 60), nil)
	if err != nil {
		t.Fatal(err)
	}
	rec := record(capConn, b.Keyring(), b.ID())
	waitEvent(t, ev, mcgossip.EventJoin, b.ID(), 5*time.Second)
	rec.waitType(t, wire.TypeAnnounce, 3, 5*time.Second) // the start-up burst
	rec.waitType(t, wire.TypeQuery, 1, 5*time.Second)
	b.Close()
	waitEvent(t, ev, mcgossip.EventLeave, b.ID(), 5*time.Second)
	rec.waitType(t, wire.TypeLeave, 2, 5*time.Second) // Close sends two
	// The second leave reaches the observer too, as a drop.
	eventually(t, 5*time.Second, "the observer drops the second leave", func() bool { return obs.Stats().Dropped["left"] >= 1 })
	capConn.Close()
	<-rec.done
	replay := rec.datagrams()

	fresh := startLo(t, loConfig(port, false), nil)
	fev, funsub := fresh.Events()
	defer funsub()
	before := obs.Stats()
	group := netip.AddrPortFrom(mcgossip.DefaultMulticastAddr, uint16(port))
	for _, d := range replay {
		if _, err := inject.WriteTo(d, nil, net.UDPAddrFromAddrPort(group)); err != nil {
			t.Fatal(err)
		}
	}
	eventually(t, 5*time.Second, "the observer receives the replay", func() bool {
		return obs.Stats().Received-before.Received >= uint64(len(replay))
	})
	after := obs.Stats()
	if d := after.Dropped["left"] - before.Dropped["left"]; d != uint64(len(replay)) {
		t.Errorf("observer dropped %d of %d replayed datagrams as from a peer that left; drops %v", d, len(replay), nonZero(after.Dropped))
	}
	peers, err := fresh.Discover(context.Background(), mcgossip.WithTimeout(500*time.Millisecond))
	if err != nil || len(peers) != 0 {
		t.Errorf("fresh lookup after the replay: %v, %v; want nothing", addrsOf(peers), err)
	}
	peers, err = obs.Discover(context.Background(), mcgossip.WithTimeout(500*time.Millisecond))
	if err != nil || len(peers) != 0 {
		t.Errorf("observer's lookup after the replay: %v, %v; want nothing", addrsOf(peers), err)
	}
	for _, ch := range []<-chan mcgossip.Event{ev, fev} {
		select {
		case e := <-ch:
			t.Errorf("%v event after the replay: %+v", e.Kind, e.Peer)
		default:
		}
	}
	t.Logf("replayed %d datagrams; fresh engine's drops %v", len(replay), nonZero(fresh.Stats().Dropped))
}

// TestLoGarbage sends garbage and foreign datagrams to the group: each is
// dropped, counted under its reason, and none makes a peer.
func TestLoGarbage(t *testing.T) {
	port := nextPort()
	e := startLo(t, loConfig(port, true), nil)
	_, inject := groupSocket(t, port)
	group := net.UDPAddrFromAddrPort(netip.AddrPortFrom(mcgossip.DefaultMulticastAddr, uint16(port)))
	foreign := wire.NewKeyring(wire.NewKey([32]byte{9}))
	ep := netip.MustParseAddrPort("127.0.0.1:40000")
	foreignMsg := sealed(t, foreign, msg(wire.TypeAnnounce, newInstance(), 1, ep))
	ourID := e.Keyring().Primary().ID()
	stale := sealed(t, e.Keyring(), with(msg(wire.TypeAnnounce, newInstance(), 1, ep), func(m *wire.Message) { m.Time = time.Now().Add(-time.Minute) }))
	cases := []struct {
		reason string
		data   []byte
	}{
		{"short", []byte("m")},
		{"magic", []byte("heartbeat::\x83t\x00\x00\x00\x01d\x00\x04noded\x00\x0ca@198.18.0.1")},
		{"too_large", append([]byte("mcg\x02"), make([]byte, wire.MaxDatagram)...)},
		{"version", append([]byte("mcg\x07"), make([]byte, 120)...)},
		{"unknown_key", foreignMsg},
		{"auth", append(slices.Clone(foreignMsg[:6]), append(ourID[:], foreignMsg[10:]...)...)},
		{"stale", stale},
	}
	for _, tc := range cases {
		before := e.Stats().Dropped[tc.reason]
		if _, err := inject.WriteTo(tc.data, nil, group); err != nil {
			t.Fatal(err)
		}
		eventually(t, 5*time.Second, tc.reason+" drop counted", func() bool { return e.Stats().Dropped[tc.reason] == before+1 })
	}
	if p := e.Peers(); len(p) != 0 {
		t.Errorf("garbage made peers: %v", p)
	}
}

// TestLoOtherGroup: a datagram to another group on the same port does not
// reach the engine (the group socket is bound to its group, with
// IP_MULTICAST_ALL off), even though the host takes that group.
func TestLoOtherGroup(t *testing.T) {
	port := nextPort()
	e := startLo(t, loConfig(port, true), nil)
	_, inject := groupSocket(t, port)
	lo, _ := net.InterfaceByName("lo")
	other := netip.MustParseAddr("230.9.9.9")
	_, p2 := groupSocket(t, port)
	if err := p2.JoinGroup(lo, &net.UDPAddr{IP: other.AsSlice()}); err != nil {
		t.Fatal(err)
	}
	// First a "short" datagram to the other group, then a "magic" one to
	// ours: once the second is counted, the first would have been too.
	if _, err := inject.WriteTo([]byte("mcg"), nil, net.UDPAddrFromAddrPort(netip.AddrPortFrom(other, uint16(port)))); err != nil {
		t.Fatal(err)
	}
	if _, err := inject.WriteTo([]byte("not mcgossip"), nil, net.UDPAddrFromAddrPort(netip.AddrPortFrom(mcgossip.DefaultMulticastAddr, uint16(port)))); err != nil {
		t.Fatal(err)
	}
	eventually(t, 5*time.Second, "our group's datagram arrives", func() bool { return e.Stats().Dropped["magic"] == 1 })
	if d := e.Stats().Dropped; d["short"] != 0 || d["not_group"] != 0 {
		t.Errorf("the other group's datagram reached the engine: drops %v", nonZero(d))
	}
}

// ipCmd runs ip with args in the test's namespace.
func ipCmd(t testing.TB, args ...string) {
	t.Helper()
	out, err := exec.Command("ip", args...).CombinedOutput()
	if err != nil {
		t.Fatalf("ip %s: %v: %s", strings.Join(args, " "), err, out)
	}
}

// vethPair creates a veth pair mcgv0/mcgv1 with 10.77.0.1/24 on mcgv0.
func vethPair(t testing.TB) {
	t.Helper()
	ipCmd(t, "link", "add", "mcgv0", "type", "veth", "peer", "name", "mcgv1")
	ipCmd(t, "addr", "add", "10.77.0.1/24", "dev", "mcgv0")
	ipCmd(t, "link", "set", "mcgv0", "up")
	ipCmd(t, "link", "set", "mcgv1", "up")
}

// onVeth creates the veth pair (skipping t without the ip command) and
// returns configurations for engines on mcgv0 with the heartbeat interval
// and the interface polling period given.
func onVeth(t *testing.T, interval, rescan time.Duration) func(announce bool) *mcgossip.Config {
	t.Helper()
	if _, err := exec.LookPath("ip"); err != nil {
		t.Skip("no ip command")
	}
	vethPair(t)
	t.Cleanup(func() { exec.Command("ip", "link", "del", "mcgv0").Run() })
	port := nextPort()
	return func(announce bool) *mcgossip.Config {
		c := loConfig(port, announce)
		c.Interfaces = []string{"mcgv0"}
		c.Interval = interval
		mcgossip.SetRescan(c, rescan)
		return c
	}
}

// TestLoInterfaceComesBack: the interface disappears and a new one with
// the same name comes (a new index): the engines join the group there
// again by themselves, and find each other again.
func TestLoInterfaceComesBack(t *testing.T) {
	cfg := onVeth(t, time.Second, 20*time.Millisecond)
	logs := newLogBuf()
	r := startLo(t, cfg(true), logs.logger())
	obs := startLo(t, cfg(false), nil)
	peers, err := obs.Discover(context.Background(), mcgossip.WithExpect(1))
	if err != nil || len(peers) != 1 || peers[0].Addr.String() != "10.77.0.1" {
		t.Fatalf("before: %v, %v", addrsOf(peers), err)
	}
	ipCmd(t, "link", "del", "mcgv0")
	logs.wait(t, "interface mcgv0 is gone or down", 5*time.Second)
	vethPair(t)
	logs.wait(t, "joined 230.1.1.251 on mcgv0 again", 5*time.Second)
	fresh := startLo(t, cfg(false), nil) // knows nothing: must hear r anew
	peers, err = fresh.Discover(context.Background(), mcgossip.WithExpect(1))
	if err != nil || len(peers) != 1 || peers[0].ID != r.ID() {
		t.Errorf("after the interface came back: %v, %v", addrsOf(peers), err)
	}
}

// TestLoInterfaceDownUp: the interface goes down and comes up again (the
// same interface, the same index). While it is down the announcer is
// silent and its peer expires it; once it is up again the announcer joins
// the group there again and announces at once, and the peer takes it back,
// all by themselves, on rtnetlink's word (the engines do not poll here).
func TestLoInterfaceDownUp(t *testing.T) {
	cfg := onVeth(t, 200*time.Millisecond, time.Hour) // no polling: only rtnetlink's events tell
	logs := newLogBuf()
	r := startLo(t, cfg(true), logs.logger())
	obs := startLo(t, cfg(false), nil)
	ev, unsub := obs.Events()
	defer unsub()
	waitEvent(t, ev, mcgossip.EventJoin, r.ID(), 5*time.Second)

	ipCmd(t, "link", "set", "mcgv0", "down")
	logs.wait(t, "interface mcgv0 is gone or down", 5*time.Second)
	waitEvent(t, ev, mcgossip.EventExpire, r.ID(), 5*time.Second)

	ipCmd(t, "link", "set", "mcgv0", "up")
	logs.wait(t, "joined 230.1.1.251 on mcgv0 again", 5*time.Second)
	j := waitEvent(t, ev, mcgossip.EventJoin, r.ID(), 5*time.Second)
	if j.Peer.Addr.String() != "10.77.0.1" {
		t.Errorf("back as %v, want 10.77.0.1", j.Peer)
	}
	peers, err := obs.Discover(context.Background(), mcgossip.WithExpect(1))
	if err != nil || len(peers) != 1 || peers[0].ID != r.ID() {
		t.Errorf("after the interface came back up: %v, %v", addrsOf(peers), err)
	}
}

// TestLoMulticastUnavailable: when the engine's own multicast never comes
// back (here a firewall drops it), it logs a hint once, and a lookup that
// finds nothing says so in its error.
func TestLoMulticastUnavailable(t *testing.T) {
	if _, err := exec.LookPath("nft"); err != nil {
		t.Skip("no nft command")
	}
	port := nextPort()
	script := "table inet mcgtest {\n chain input {\n  type filter hook input priority filter; policy accept;\n  udp dport " +
		strconv.Itoa(port) + " drop\n }\n}\n"
	cmd := exec.Command("nft", "-f", "-")
	cmd.Stdin = strings.NewReader(script)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Skipf("nft: %v: %s", err, out)
	}
	t.Cleanup(func() { exec.Command("nft", "delete", "table", "inet", "mcgtest").Run() })
	logs := newLogBuf()
	e := startLo(t, loConfig(port, false), logs.logger())
	_, err := e.Discover(context.Background(), mcgossip.WithTimeout(1500*time.Millisecond))
	if !errors.Is(err, mcgossip.ErrMulticastUnavailable) {
		t.Fatalf("lookup error %v, want ErrMulticastUnavailable", err)
	}
	for _, want := range []string{"discover-mcgossip: no peers found in 1.5s: multicast looks unavailable on lo", "224.0.0.0/4", "MULTICAST flag", "firewall", "cloud"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	logs.wait(t, "[WARN] discover-mcgossip: multicast looks unavailable on lo", 5*time.Second)
	if n := logs.count("multicast looks unavailable"); n != 1 {
		t.Errorf("%d hint lines, want 1", n)
	}
}

func TestLoCloseNoLeak(t *testing.T) {
	checkNoLeak(t)
	port := nextPort()
	e, err := mcgossip.NewEngine(loConfig(port, true), nil)
	if err != nil {
		t.Fatal(err)
	}
	obs := startLo(t, loConfig(port, false), nil)
	if _, err := obs.Discover(context.Background(), mcgossip.WithExpect(1)); err != nil {
		t.Fatal(err)
	}
	running := engineGoroutines()
	for _, f := range []string{"(*Engine).run", "mcast.(*Transport).readLoop", "mcast.(*Transport).scanLoop"} {
		if strings.Count(running, f) < 2 {
			t.Errorf("fewer than two goroutines in %s while two engines run", f)
		}
	}
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	obs.Close()
	if left := waitNoEngineGoroutines(2 * time.Second); left != "" {
		t.Errorf("goroutines left after Close:\n%s", left)
	}
}

func TestLoBadInterface(t *testing.T) {
	cases := []struct {
		name string
		mod  func(c *mcgossip.Config)
		want string
	}{
		{"no such iface", func(c *mcgossip.Config) { c.Interfaces = []string{"nosuch0"} }, `discover-mcgossip: invalid iface "nosuch0": no such interface; this host has lo`},
		{"foreign if_addr", func(c *mcgossip.Config) { c.IfAddr = netip.MustParseAddr("192.0.2.1") }, `discover-mcgossip: invalid if_addr "192.0.2.1": no interface of this host has this address`},
		{"bad port", func(c *mcgossip.Config) { c.Port = 0 }, `discover-mcgossip: invalid port "0"`},
		// The test's namespace has only lo, which carries no IPv6 group
		// and cannot broadcast.
		{"no IPv6", func(c *mcgossip.Config) { c.Family = mcgossip.FamilyIPv6 }, "no interface has IPv6 (check ip -6 addr), or set iface"},
		{"no broadcast", func(c *mcgossip.Config) { c.BroadcastOnly = true },
			"discover-mcgossip: cannot choose the interface to broadcast on: no interface is up with the BROADCAST flag and an IPv4 address with a broadcast address; name the interface with iface"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := loConfig(nextPort(), false)
			tc.mod(c)
			e, err := mcgossip.NewEngine(c, nil)
			if err == nil {
				e.Close()
				t.Fatal("no error")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q, want %q", err, tc.want)
			}
		})
	}
}

// TestLoUnspecifiedSource: on lo, a multicast leaves with the source
// 0.0.0.0; that never becomes a peer's address (the unicast answer's
// source, 127.0.0.1, stays).
func TestLoUnspecifiedSource(t *testing.T) {
	port := nextPort()
	c := loConfig(port, true)
	c.Interfaces = []string{"lo"}
	c.Interval = 100 * time.Millisecond
	r := startLo(t, c, nil)
	oc := loConfig(port, false)
	oc.Interfaces = []string{"lo"}
	obs := startLo(t, oc, nil)
	ev, unsub := obs.Events()
	defer unsub()
	j := waitEvent(t, ev, mcgossip.EventJoin, r.ID(), 5*time.Second)
	if j.Peer.Addr.String() != "127.0.0.1" {
		t.Errorf("joined as %v", j.Peer)
	}
	accepted := obs.Stats().Accepted
	eventually(t, 5*time.Second, "three more announces", func() bool { return obs.Stats().Accepted >= accepted+3 })
	if p := obs.Peers(); len(p) != 1 || p[0].Addr.String() != "127.0.0.1" {
		t.Errorf("peers %v", addrsOf(p))
	}
	select {
	case e := <-ev:
		t.Errorf("unexpected %v event: %v", e.Kind, e.Peer)
	default:
	}
}

// TestLoReadBuffer: the sockets ask for a receive buffer sized for floods;
// when the kernel grants less (no CAP_NET_ADMIN, a low net.core.rmem_max),
// an announcing engine says so in its log, once.
func TestLoReadBuffer(t *testing.T) {
	logs := newLogBuf()
	e := startLo(t, loConfig(nextPort(), true), logs.logger())
	got, asked := e.ReadBuffer()
	t.Logf("asked for %d bytes, granted %d", asked, got)
	if got <= 0 {
		t.Fatalf("granted %d bytes", got)
	}
	want := 0
	if got < asked {
		want = 1
	}
	if n := logs.count("[INFO] discover-mcgossip: the kernel capped the receive buffers"); n != want {
		t.Errorf("%d lines about the capped buffers, want %d:\n%s", n, want, logs)
	}
}
