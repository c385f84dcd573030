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
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/mcgossip/go-discover-mcgossip/provider/internal/testns"
	"github.com/mcgossip/go-discover-mcgossip/provider/mcgossip"
	"github.com/mcgossip/go-discover-mcgossip/provider/mcgossip/wire"
)

// Tests of IPv6 groups, dual stack and broadcast with real sockets, on a
// veth pair of the test's private network namespace (see TestMain and
// testns.Veth): both ends are in it, so nothing sent here, IPv6 multicast and broadcast
// alike, can leave it. (Linux loops IPv6 multicast back on any interface
// but lo, hence the veth.) Every engine of a test shares the one
// interface, as several engines on one host do.

// famConfig is loConfig on interface iface with the families f.
func famConfig(port int, announce bool, iface string, f mcgossip.Family) *mcgossip.Config {
	c := loConfig(port, announce)
	c.Interfaces = []string{iface}
	c.Family = f
	return c
}

// peersByID maps the peers' ids to their addresses.
func peersByID(peers []mcgossip.Peer) map[wire.InstanceID]string {
	m := map[wire.InstanceID]string{}
	for _, p := range peers {
		m[p.ID] = p.String()
	}
	return m
}

// TestLoIPv6: engines on an IPv6 group of link-local scope find each
// other, each listed by the unique-local address of the interface (not its
// link-local one, not the datagram's source), with answers and
// verification queries to the sealed IPv6 endpoints.
func TestLoIPv6(t *testing.T) {
	checkNoLeak(t)
	testns.Veth(t, "mc6", "fd00:76::1/64")
	port := nextPort()
	var ids []wire.InstanceID
	for range 3 {
		ids = append(ids, startLo(t, famConfig(port, true, "mc60", mcgossip.FamilyIPv6), nil).ID())
	}
	obs := startLo(t, famConfig(port, false, "mc60", mcgossip.FamilyIPv6), nil)
	peers, err := obs.Discover(context.Background(), mcgossip.WithExpect(3))
	if err != nil || len(peers) != 3 {
		t.Fatalf("found %v, %v; want 3 peers", addrsOf(peers), err)
	}
	for _, p := range peers {
		if !slices.Contains(ids, p.ID) || p.Addr != netip.MustParseAddr("fd00:76::1") {
			t.Errorf("peer %v (%x), want fd00:76::1", p, p.ID)
		}
	}
	if s := obs.Stats(); s.Loopback == 0 || s.Dropped["no_endpoint"] != 0 || s.SourceMismatch != 0 {
		t.Errorf("observer's stats: loopback %d, source mismatches %d, drops %v", s.Loopback, s.SourceMismatch, nonZero(s.Dropped))
	}
}

// TestLoIPv6LinkLocal: on an interface with no IPv6 address but its
// link-local one, engines seal that and list each other by it, zoned by
// the interface; an advertised IPv6 address wins; answers reach the
// link-local endpoints.
func TestLoIPv6LinkLocal(t *testing.T) {
	ifi := testns.Veth(t, "mcl")
	port := nextPort()
	a := startLo(t, famConfig(port, true, "mcl0", mcgossip.FamilyIPv6), nil)
	adv := famConfig(port, true, "mcl0", mcgossip.FamilyIPv6)
	adv.Advertise, adv.AdvertisePort = netip.MustParseAddr("2001:db8::7"), 8301
	b := startLo(t, adv, nil)
	obs := startLo(t, famConfig(port, false, "mcl0", mcgossip.FamilyIPv6), nil)
	peers, err := obs.Discover(context.Background(), mcgossip.WithExpect(2))
	if err != nil {
		t.Fatal(err)
	}
	got := peersByID(peers)
	ll := got[a.ID()]
	if addr, err := netip.ParseAddr(ll); err != nil || !addr.IsLinkLocalUnicast() || addr.Zone() != strconv.Itoa(ifi.Index) {
		t.Errorf("a listed as %q, want its link-local address zoned %%%d", ll, ifi.Index)
	}
	if got[b.ID()] != "[2001:db8::7]:8301" {
		t.Errorf("b listed as %q, want its advertised [2001:db8::7]:8301", got[b.ID()])
	}
	// The link-local sources are zoned as the sealed endpoints are.
	if s := obs.Stats(); s.SourceMismatch != 0 || s.Dropped["no_endpoint"] != 0 {
		t.Errorf("observer's stats: source mismatches %d, drops %v", s.SourceMismatch, nonZero(s.Dropped))
	}
}

// TestLoDualStack: a mixed cluster on one link, an IPv4-only, an
// IPv6-only and a dual-stack member, is found completely by a dual-stack
// lookup, each member once, the dual one by the address of the family
// prefer names; single-family lookups find the members of their family.
func TestLoDualStack(t *testing.T) {
	testns.Veth(t, "mcd", "10.76.0.1/24", "fd00:77::1/64")
	port := nextPort()
	v4 := startLo(t, famConfig(port, true, "mcd0", mcgossip.FamilyIPv4), nil)
	v6 := startLo(t, famConfig(port, true, "mcd0", mcgossip.FamilyIPv6), nil)
	dual := startLo(t, famConfig(port, true, "mcd0", mcgossip.FamilyDual), nil)
	const a4, a6 = "10.76.0.1", "fd00:77::1"
	cases := []struct {
		name   string
		f      mcgossip.Family
		prefer mcgossip.Family
		want   map[wire.InstanceID]string
	}{
		{"dual, prefer ipv4", mcgossip.FamilyDual, mcgossip.FamilyIPv4, map[wire.InstanceID]string{v4.ID(): a4, v6.ID(): a6, dual.ID(): a4}},
		{"dual, prefer ipv6", mcgossip.FamilyDual, mcgossip.FamilyIPv6, map[wire.InstanceID]string{v4.ID(): a4, v6.ID(): a6, dual.ID(): a6}},
		{"ipv4 only", mcgossip.FamilyIPv4, mcgossip.FamilyIPv4, map[wire.InstanceID]string{v4.ID(): a4, dual.ID(): a4}},
		{"ipv6 only", mcgossip.FamilyIPv6, mcgossip.FamilyIPv4, map[wire.InstanceID]string{v6.ID(): a6, dual.ID(): a4}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := famConfig(port, false, "mcd0", tc.f)
			c.Prefer = tc.prefer
			obs := startLo(t, c, nil)
			peers, err := obs.Discover(context.Background(), mcgossip.WithExpect(len(tc.want)), mcgossip.WithStable(time.Minute))
			if err != nil {
				t.Fatal(err)
			}
			if got := peersByID(peers); len(peers) != len(tc.want) || !mapsEqual(got, tc.want) {
				t.Errorf("found %v, want %v", got, tc.want)
			}
			// Settle, then look again: the dual member is still listed
			// once, by the same address, although both of its families
			// keep reaching the observer.
			again, err := obs.Discover(context.Background(), mcgossip.WithExpect(len(tc.want)), mcgossip.WithStable(time.Minute))
			if err != nil || !mapsEqual(peersByID(again), tc.want) {
				t.Errorf("again: %v, %v", peersByID(again), err)
			}
		})
	}
}

func mapsEqual(a, b map[wire.InstanceID]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// TestLoDualStackUpdates: a dual-stack member heard on both families by a
// dual-stack observer is one peer that never flips between its addresses
// (no update event) while its heartbeats come by both.
func TestLoDualStackUpdates(t *testing.T) {
	testns.Veth(t, "mcu", "10.74.0.1/24", "fd00:74::1/64")
	port := nextPort()
	c := famConfig(port, true, "mcu0", mcgossip.FamilyDual)
	c.Interval = 100 * time.Millisecond
	dual := startLo(t, c, nil)
	oc := famConfig(port, false, "mcu0", mcgossip.FamilyDual)
	oc.Interval = 100 * time.Millisecond
	obs := startLo(t, oc, nil)
	ev, unsub := obs.Events()
	defer unsub()
	j := waitEvent(t, ev, mcgossip.EventJoin, dual.ID(), 5*time.Second)
	if j.Peer.Addr.String() != "10.74.0.1" {
		t.Fatalf("joined as %v", j.Peer)
	}
	accepted := obs.Stats().Accepted
	eventually(t, 5*time.Second, "ten more heartbeats", func() bool { return obs.Stats().Accepted >= accepted+10 })
	select {
	case e := <-ev:
		t.Errorf("%v event: %v", e.Kind, e.Peer)
	default:
	}
	// Each heartbeat is sealed once and sent to both groups: the copy
	// that arrives second is a replay.
	if s := obs.Stats(); s.Dropped["replay"] == 0 {
		t.Errorf("no second copies dropped as replays: %v", nonZero(s.Dropped))
	}
}

// TestLoBroadcast: with broadcast_only, engines find each other by
// broadcasts to the interface's broadcast address and to 255.255.255.255
// alike, with the sealed protocol's guarantees: another cookie's engines
// stay apart, and recorded broadcasts sent again after their sender left
// change nothing. Multicast engines on the same port hear none of it.
// (The veth's other end is in the test's namespace: no broadcast leaves
// it.)
func TestLoBroadcast(t *testing.T) {
	testns.Veth(t, "mcb", "10.75.0.1/24")
	port := nextPort()
	bc := func(announce bool) *mcgossip.Config {
		c := loConfig(port, announce)
		c.BroadcastOnly = true
		c.Interval = 200 * time.Millisecond
		return c
	}
	var ids []wire.InstanceID
	for i := range 3 {
		c := bc(true)
		if i == 2 {
			c.MulticastAddr = netip.MustParseAddr("255.255.255.255")
		}
		ids = append(ids, startLo(t, withAdvertise(c, 10+i), nil).ID())
	}
	other := bc(true)
	other.Cookie = "the-other-cluster-7d1e9b"
	startLo(t, withAdvertise(other, 20), nil)
	mc := loConfig(port, false)
	mc.Interfaces = []string{"mcb0"}
	multicastObs := startLo(t, mc, nil)

	capture := broadcastSocket(t, port)
	obs := startLo(t, bc(false), nil)
	peers, err := obs.Discover(context.Background(), mcgossip.WithExpect(3), mcgossip.WithStable(time.Minute))
	if err != nil || len(peers) != 3 {
		t.Fatalf("found %v, %v; want 3", addrsOf(peers), err)
	}
	for _, p := range peers {
		if !slices.Contains(ids, p.ID) {
			t.Errorf("found %v, not of the cluster", p)
		}
	}
	// The other cluster's heartbeats reach the observer, which drops them
	// unread.
	eventually(t, 5*time.Second, "unknown_key drops", func() bool { return obs.Stats().Dropped["unknown_key"] > 0 })
	limited := bc(false)
	limited.MulticastAddr = netip.MustParseAddr("255.255.255.255")
	if peers, err := startLo(t, limited, nil).Discover(context.Background(), mcgossip.WithExpect(3), mcgossip.WithStable(time.Minute)); err != nil || len(peers) != 3 {
		t.Errorf("a lookup by 255.255.255.255 found %v, %v; want 3", addrsOf(peers), err)
	}
	if peers, err := multicastObs.Discover(context.Background(), mcgossip.WithTimeout(300*time.Millisecond)); err != nil || len(peers) != 0 {
		t.Errorf("a multicast lookup on the port found %v, %v; want nothing", addrsOf(peers), err)
	}

	// Replay: record a member's broadcasts, let it leave, send them again.
	c := bc(true)
	leaver, err := mcgossip.NewEngine(withAdvertise(c, 30), nil)
	if err != nil {
		t.Fatal(err)
	}
	ev, unsub := obs.Events()
	defer unsub()
	rec := record(capture, leaver.Keyring(), leaver.ID())
	if _, err := obs.Discover(context.Background(), mcgossip.WithExpect(4)); err != nil {
		t.Fatal(err)
	}
	rec.waitType(t, wire.TypeAnnounce, 3, 5*time.Second)
	leaver.Close()
	waitEvent(t, ev, mcgossip.EventLeave, leaver.ID(), 5*time.Second)
	rec.waitType(t, wire.TypeLeave, 2, 5*time.Second)
	capture.Close()
	<-rec.done
	replay := rec.datagrams()
	before := obs.Stats()
	send := broadcastSender(t)
	for _, d := range replay {
		if _, err := send.WriteToUDPAddrPort(d, netip.AddrPortFrom(netip.MustParseAddr("10.75.0.255"), uint16(port))); err != nil {
			t.Fatal(err)
		}
	}
	eventually(t, 5*time.Second, "the observer receives the replay", func() bool {
		return obs.Stats().Received-before.Received >= uint64(len(replay))
	})
	if d := obs.Stats().Dropped["left"] - before.Dropped["left"]; d != uint64(len(replay)) {
		t.Errorf("%d of %d replayed broadcasts dropped as from a peer that left; drops %v", d, len(replay), nonZero(obs.Stats().Dropped))
	}
	if p := obs.Peers(); len(p) != 3 {
		t.Errorf("after the replay: %v", addrsOf(p))
	}
}

// reuseConfig makes sockets that share their port with engines'
// (SO_REUSEADDR, SO_REUSEPORT).
var reuseConfig = net.ListenConfig{Control: func(_, _ string, c syscall.RawConn) error {
	var serr error
	err := c.Control(func(fd uintptr) {
		serr = errors.Join(unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_REUSEADDR, 1),
			unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_REUSEPORT, 1))
	})
	return errors.Join(err, serr)
}}

// broadcastSocket opens a socket that receives the broadcasts to port, as
// a broadcast engine's group socket does.
func broadcastSocket(t *testing.T, port int) *net.UDPConn {
	t.Helper()
	pc, err := reuseConfig.ListenPacket(context.Background(), "udp4", "0.0.0.0:"+strconv.Itoa(port))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	return pc.(*net.UDPConn)
}

// broadcastSender opens a socket with SO_BROADCAST.
func broadcastSender(t *testing.T) *net.UDPConn {
	t.Helper()
	lc := net.ListenConfig{Control: func(_, _ string, c syscall.RawConn) error {
		var serr error
		err := c.Control(func(fd uintptr) { serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_BROADCAST, 1) })
		return errors.Join(err, serr)
	}}
	pc, err := lc.ListenPacket(context.Background(), "udp4", "0.0.0.0:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	return pc.(*net.UDPConn)
}

// TestLoIPv6DownUp: the interface goes down, which takes its IPv6
// addresses away, and comes up with only its link-local one: the engines
// join the group there again by themselves, the announcer seals its new
// (link-local) address, and the observer takes it back under it.
func TestLoIPv6DownUp(t *testing.T) {
	ifi := testns.Veth(t, "mcf", "fd00:78::1/64")
	port := nextPort()
	c := famConfig(port, true, "mcf0", mcgossip.FamilyIPv6)
	c.Interval = 200 * time.Millisecond
	logs := newLogBuf()
	r := startLo(t, c, logs.logger())
	oc := famConfig(port, false, "mcf0", mcgossip.FamilyIPv6)
	oc.Interval = 200 * time.Millisecond
	obs := startLo(t, oc, nil)
	ev, unsub := obs.Events()
	defer unsub()
	if j := waitEvent(t, ev, mcgossip.EventJoin, r.ID(), 5*time.Second); j.Peer.Addr.String() != "fd00:78::1" {
		t.Fatalf("joined as %v", j.Peer)
	}
	testns.IP(t, "link", "set", "mcf0", "down")
	logs.wait(t, "interface mcf0 is gone or down", 5*time.Second)
	waitEvent(t, ev, mcgossip.EventExpire, r.ID(), 5*time.Second)
	testns.IP(t, "link", "set", "mcf0", "up")
	logs.wait(t, "joined ff02::114 on mcf0 again", 5*time.Second)
	j := waitEvent(t, ev, mcgossip.EventJoin, r.ID(), 5*time.Second)
	if !j.Peer.Addr.IsLinkLocalUnicast() || j.Peer.Addr.Zone() != strconv.Itoa(ifi.Index) {
		t.Errorf("back as %v, want its link-local address (the unique-local one went with the link)", j.Peer)
	}
}

// TestLoIPv6DAD: while the interface's IPv6 addresses are tentative (DAD
// running), nothing can be sent, and a lookup that finds nothing says
// why; once an address is there, the engine announces at once.
func TestLoIPv6DAD(t *testing.T) {
	testns.IP(t, "link", "add", "mcz0", "type", "veth", "peer", "name", "mcz1")
	t.Cleanup(func() { exec.Command("ip", "link", "del", "mcz0").Run() })
	testns.Sysctl(t, "net/ipv6/conf/mcz0/accept_dad", "1")
	testns.Sysctl(t, "net/ipv6/conf/mcz0/dad_transmits", "100") // a hundred seconds
	testns.IP(t, "link", "set", "mcz0", "up")
	testns.IP(t, "link", "set", "mcz1", "up")
	testns.WaitRunning(t, "mcz0")
	port := nextPort()
	logs := newLogBuf()
	obs := startLo(t, famConfig(port, false, "mcz0", mcgossip.FamilyIPv6), logs.logger())
	_, err := obs.Discover(context.Background(), mcgossip.WithTimeout(1500*time.Millisecond))
	if !errors.Is(err, mcgossip.ErrMulticastUnavailable) || !strings.Contains(err.Error(), "DAD is still running") ||
		!strings.Contains(err.Error(), "ip -6 addr show dev mcz0") {
		t.Fatalf("lookup error %v, want ErrMulticastUnavailable saying DAD is still running", err)
	}
	logs.wait(t, "interface mcz0 has no IPv6 address yet (DAD is still running", time.Second)
	r := startLo(t, famConfig(port, true, "mcz0", mcgossip.FamilyIPv6), nil)
	testns.IP(t, "-6", "addr", "add", "fd00:79::1/64", "dev", "mcz0", "nodad")
	logs.wait(t, "interface mcz0 now has the address fd00:79::1", 5*time.Second)
	peers, err := obs.Discover(context.Background(), mcgossip.WithExpect(1))
	if err != nil || len(peers) != 1 || peers[0].ID != r.ID() || peers[0].Addr.String() != "fd00:79::1" {
		t.Errorf("after DAD: %v, %v", addrsOf(peers), err)
	}
}

// TestLoSilenceHint: a lookup that finds nobody while its own multicast
// comes back (the link is up) says that the network may drop group
// traffic and that broadcast_only works around it.
func TestLoSilenceHint(t *testing.T) {
	testns.Veth(t, "mch", "10.73.0.1/24")
	buf := newLogBuf()
	p := &mcgossip.Provider{}
	defer p.Close()
	args := map[string]string{"provider": "mcgossip", "iface": "mch0", "port": strconv.Itoa(nextPort()), "timeout": "300ms",
		"announce": "false", "cookie": testCookie}
	addrs, err := p.Addrs(args, log.New(buf, "", 0))
	if err != nil || len(addrs) != 0 {
		t.Fatalf("%v, %v", addrs, err)
	}
	line := buf.wait(t, "no peers found in ", time.Second)
	if !strings.Contains(line, " on 230.1.1.251:") {
		t.Errorf("%q does not name the group", line)
	}
	for _, want := range []string{"the link is up", "IGMP or MLD snooping", "broadcast_only=true"} {
		if !strings.Contains(line, want) {
			t.Errorf("%q lacks %q", line, want)
		}
	}
}
