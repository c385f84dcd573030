package mcast

import (
	"net"
	"net/netip"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/ipv4"

	"github.com/mcgossip/go-discover-mcgossip/provider/internal/testns"
)

// Tests of the Transport on veth pairs of the test's private namespace
// (see TestMain): IPv6 groups and IPv4 broadcast, which never leave it
// (both ends of each pair are in it).

var testGroup6 = netip.MustParseAddr("ff02::114")

// collector keeps the packets a Transport delivers.
type collector chan Packet

func (c collector) handler(p *Packet) {
	q := *p
	q.Data = append([]byte(nil), p.Data...)
	select {
	case c <- q:
	default:
	}
}

// wait returns the first packet with data d, or fails at the deadline.
func (c collector) wait(t *testing.T, d string) Packet {
	t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		select {
		case p := <-c:
			if string(p.Data) == d {
				return p
			}
		case <-deadline:
			t.Fatalf("no datagram %q within 5s", d)
			return Packet{}
		}
	}
}

func open(t *testing.T, s Settings) (*Transport, collector) {
	t.Helper()
	tr, err := Open(s)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tr.Close() })
	c := make(collector, 64)
	tr.Start(c.handler, nil)
	return tr, c
}

// TestTransportIPv6: two Transports on an IPv6 group of link-local scope
// on a veth of the test's namespace (Linux loops IPv6 multicast back on
// any interface but lo): each one's address on the interface is the
// unique-local one, not the link-local one; a multicast reaches both (the
// sender's own by loopback) with the group as destination, from the
// sender's unicast socket and that address (not the link-local one the
// kernel picks for a group of link-local scope); a unicast reaches the
// unicast socket with its destination.
func TestTransportIPv6(t *testing.T) {
	ifi := testns.Veth(t, "mcs", "fd00:79::1/64")
	s := Settings{Group: testGroup6, Port: 45992, TTL: 1, Interfaces: []string{"mcs0"}}
	a, ca := open(t, s)
	b, cb := open(t, s)
	ula := netip.MustParseAddr("fd00:79::1")
	for _, tr := range []*Transport{a, b} {
		if ifs := tr.Interfaces(); len(ifs) != 1 || ifs[0].Name != "mcs0" || !ifs[0].Up || ifs[0].Addr != ula || ifs[0].Pending {
			t.Fatalf("interfaces %+v, want mcs0 up with %v", ifs, ula)
		}
	}
	if err := a.Multicast([]byte("six")); err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]collector{"the sender": ca, "the other": cb} {
		p := c.wait(t, "six")
		if !p.Group || p.Dst != testGroup6 || p.IfIndex != ifi.Index || p.Src != netip.AddrPortFrom(ula, a.LocalPort()) {
			t.Errorf("%s got %+v", name, p)
		}
	}
	dst := netip.AddrPortFrom(ula, b.LocalPort())
	if err := a.Unicast([]byte("uni"), dst); err != nil {
		t.Fatal(err)
	}
	if p := cb.wait(t, "uni"); p.Group || p.Dst != ula || p.Src.Port() != a.LocalPort() {
		t.Errorf("unicast %+v", p)
	}
}

// TestTransportIPv6OtherGroup: with IPV6_MULTICAST_ALL off, the group
// socket (bound to the wildcard address) gets no datagram of a group it
// did not join itself, though another socket of the host joined it on the
// same port.
func TestTransportIPv6OtherGroup(t *testing.T) {
	testns.Veth(t, "mco", "fd00:7b::1/64")
	const port = 45993
	s := Settings{Group: testGroup6, Port: port, TTL: 1, Interfaces: []string{"mco0"}}
	_, c := open(t, s)
	s.Group = netip.MustParseAddr("ff02::115")
	o, _ := open(t, s)
	if err := o.Multicast([]byte("other group")); err != nil {
		t.Fatal(err)
	}
	s.Group, s.Port = testGroup6, port+1
	ours, _ := open(t, s)
	// Then a datagram to ours (from a socket not on the port): once it is
	// here, the other would be too.
	if _, err := ours.uconn.WriteToUDPAddrPort([]byte("ours"), netip.AddrPortFrom(testGroup6, port)); err != nil {
		t.Fatal(err)
	}
	select {
	case p := <-c:
		if string(p.Data) != "ours" {
			t.Errorf("got %q to %v first", p.Data, p.Dst)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("nothing arrived")
	}
}

// TestTransportIPv6Pending: while DAD runs, an interface has no IPv6
// address to be reached at, and says so (Pending); once it has one, the
// Transport says so too (the rejoined callback), so that its user
// announces at once.
func TestTransportIPv6Pending(t *testing.T) {
	testns.IP(t, "link", "add", "mcp0", "type", "veth", "peer", "name", "mcp1")
	t.Cleanup(func() { exec.Command("ip", "link", "del", "mcp0").Run() })
	// DAD that takes minutes: a hundred probes, a second apart.
	testns.Sysctl(t, "net/ipv6/conf/mcp0/accept_dad", "1")
	testns.Sysctl(t, "net/ipv6/conf/mcp0/dad_transmits", "100")
	testns.IP(t, "link", "set", "mcp0", "up")
	testns.IP(t, "link", "set", "mcp1", "up")
	tr, err := Open(Settings{Group: testGroup6, Port: 45996, TTL: 1, Interfaces: []string{"mcp0"}, Rescan: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	back := make(chan string, 4)
	tr.Start(func(*Packet) {}, func(name string) { back <- name })
	deadline := time.Now().Add(5 * time.Second)
	for ifs := tr.Interfaces(); !ifs[0].Pending || ifs[0].Addr.IsValid(); ifs = tr.Interfaces() {
		// The link-local address appears (tentative) once the link is up.
		if time.Now().After(deadline) {
			t.Fatalf("interfaces %+v, want mcp0 pending without an address", ifs)
		}
		time.Sleep(10 * time.Millisecond)
	}
	testns.IP(t, "-6", "addr", "add", "fd00:7c::1/64", "dev", "mcp0", "nodad")
	select {
	case name := <-back:
		if name != "mcp0" {
			t.Errorf("rejoined %q", name)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no word of the new address")
	}
	if ifs := tr.Interfaces(); ifs[0].Addr.String() != "fd00:7c::1" || ifs[0].Pending {
		t.Errorf("interfaces %+v", ifs)
	}
}

// TestTransportBroadcast: Transports in broadcast mode on one veth of the
// test's namespace (a broadcast never leaves it: the pair's other end is
// here too). A broadcast to the interface's broadcast address, and one to
// 255.255.255.255, reach both (the sender's own by the kernel's
// loopback) with the destination 255.255.255.255; a unicast datagram to
// the port keeps its own destination, for the receiver to drop.
func TestTransportBroadcast(t *testing.T) {
	ifi := testns.Veth(t, "mcb", "10.79.0.1/24")
	const port = 45994
	s := Settings{Broadcast: true, Port: port}
	a, ca := open(t, s) // the only interface that can broadcast: mcb0
	s.Group = LimitedBroadcast
	b, cb := open(t, s)
	for _, tr := range []*Transport{a, b} {
		ifs := tr.Interfaces()
		if len(ifs) != 1 || ifs[0].Name != "mcb0" || !ifs[0].Up || ifs[0].Addr.String() != "10.79.0.1" || ifs[0].Broadcast.String() != "10.79.0.255" {
			t.Fatalf("interfaces %+v, want mcb0 up with 10.79.0.1 and broadcast 10.79.0.255", ifs)
		}
	}
	if err := a.Multicast([]byte("directed")); err != nil {
		t.Fatal(err)
	}
	if err := b.MulticastOn([]byte("limited"), ifi.Index); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{"directed", "limited"} {
		for name, c := range map[string]collector{"a": ca, "b": cb} {
			p := c.wait(t, d)
			if !p.Group || p.Dst != LimitedBroadcast || p.IfIndex != ifi.Index || p.Src.Addr().String() != "10.79.0.1" {
				t.Errorf("%s: %s got %+v", d, name, p)
			}
		}
	}
	u, err := net.DialUDP("udp4", nil, &net.UDPAddr{IP: net.IPv4(10, 79, 0, 1), Port: port})
	if err != nil {
		t.Fatal(err)
	}
	defer u.Close()
	if _, err := u.Write([]byte("unicast")); err != nil {
		t.Fatal(err)
	}
	// SO_REUSEPORT hands a unicast datagram to one of the sockets.
	select {
	case p := <-ca:
		if string(p.Data) != "unicast" || p.Dst.String() != "10.79.0.1" {
			t.Errorf("a got %+v", p)
		}
	case p := <-cb:
		if string(p.Data) != "unicast" || p.Dst.String() != "10.79.0.1" {
			t.Errorf("b got %+v", p)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the unicast datagram did not arrive")
	}
}

// TestBroadcastInterface: without iface, broadcast needs exactly one
// interface that can broadcast.
func TestBroadcastInterface(t *testing.T) {
	_, err := Open(Settings{Broadcast: true, Port: 45995})
	if err == nil || !strings.Contains(err.Error(), "no interface is up with the BROADCAST flag") {
		t.Fatalf("only lo: %v", err)
	}
	testns.Veth(t, "mcc", "10.80.0.1/24")
	testns.Veth(t, "mcd", "10.81.0.1/24")
	_, err = Open(Settings{Broadcast: true, Port: 45995})
	if err == nil || !strings.Contains(err.Error(), "several can (mcc0, mcd0)") {
		t.Fatalf("two: %v", err)
	}
}

func TestBroadcastOf(t *testing.T) {
	for p, want := range map[string]string{
		"198.18.0.1/15": "198.19.255.255", "10.0.0.1/24": "10.0.0.255", "10.0.0.1/30": "10.0.0.3",
		"10.0.0.1/31": "invalid IP", "10.0.0.1/32": "invalid IP",
	} {
		if got := broadcastOf(netip.MustParsePrefix(p)).String(); got != want {
			t.Errorf("broadcastOf(%s) = %s, want %s", p, got, want)
		}
	}
}

// TestGroupsShareAPort: a Transport and a Receiver of two groups on one
// port and one interface each get every datagram of their own group and
// none of the other's, from senders on many ports. Regression: with
// SO_REUSEPORT on both group sockets (which Go binds to the wildcard
// address, whatever group they are for) they formed one reuseport group,
// and Linux (6.x) steered a multicast datagram that only one of them had
// joined to either of them by a hash of its addresses and ports, so a
// libcluster receiver beside an mcgossip agent lost about half of the
// heartbeats to the agent, and got the agent's datagrams instead.
func TestGroupsShareAPort(t *testing.T) {
	testns.Veth(t, "mcr", "10.81.0.1/24")
	// The senders are on the pair's other end, in this namespace too: let
	// mcr0 take datagrams from a local source address.
	testns.IP(t, "addr", "add", "10.81.0.2/24", "dev", "mcr1")
	testns.Sysctl(t, "net/ipv4/conf/mcr0/accept_local", "1")
	const port, senders = 45996, 16
	gA, gB := netip.MustParseAddr("230.1.1.251"), netip.MustParseAddr("233.252.1.32")
	_, ca := open(t, Settings{Group: gA, Port: port, TTL: 1, Interfaces: []string{"mcr0"}, IfAddr: netip.IPv4Unspecified()})
	r, err := OpenReceiver(Settings{Group: gB, Port: port, Interfaces: []string{"mcr0"}, IfAddr: netip.IPv4Unspecified()})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	cb := make(collector, 4*senders)
	r.Start(cb.handler, nil)

	out, err := net.InterfaceByName("mcr1")
	if err != nil {
		t.Fatal(err)
	}
	for i := range senders {
		c, err := net.ListenPacket("udp4", "10.81.0.2:0") // a port of its own: another hash
		if err != nil {
			t.Fatal(err)
		}
		p := ipv4.NewPacketConn(c)
		if err := p.SetMulticastInterface(out); err != nil {
			t.Fatal(err)
		}
		for _, g := range []netip.Addr{gA, gB} {
			if _, err := c.WriteTo([]byte(g.String()+"/"+strconv.Itoa(i)), net.UDPAddrFromAddrPort(netip.AddrPortFrom(g, port))); err != nil {
				t.Fatal(err)
			}
		}
		c.Close()
	}
	for name, want := range map[string]struct {
		c collector
		g netip.Addr
	}{"the transport of " + gA.String(): {ca, gA}, "the receiver of " + gB.String(): {cb, gB}} {
		missing := map[string]bool{}
		for i := range senders {
			missing[want.g.String()+"/"+strconv.Itoa(i)] = true
		}
		deadline := time.After(5 * time.Second)
		for len(missing) > 0 {
			select {
			case p := <-want.c:
				if p.Dst != want.g {
					t.Errorf("%s got %q, sent to %s", name, p.Data, p.Dst)
				}
				delete(missing, string(p.Data))
			case <-deadline:
				t.Fatalf("%s missed %d of its %d datagrams", name, len(missing), senders)
			}
		}
	}
}
