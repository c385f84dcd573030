package netns_test

import (
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/mcgossip/go-discover-mcgossip/internal/netns"
	"golang.org/x/net/ipv4"
)

func TestMain(m *testing.M) { netns.Main(m) }

// TestInside checks that the tests run in a namespace of their own: only
// lo exists, and it is up with multicast on.
func TestInside(t *testing.T) {
	if !netns.Inside() {
		t.Fatal("Inside() = false in a test run by Main")
	}
	ifaces, err := net.Interfaces()
	if err != nil {
		t.Fatal(err)
	}
	if len(ifaces) != 1 || ifaces[0].Name != "lo" {
		t.Fatalf("interfaces = %v, want only lo: not a private namespace", ifaces)
	}
	if f := ifaces[0].Flags; f&net.FlagUp == 0 || f&net.FlagMulticast == 0 {
		t.Fatalf("lo flags = %v, want up and multicast", f)
	}
}

// TestMulticastLoopsBack sends a datagram to a group and receives it on a
// member socket: the route and flags Main sets up make multicast work on lo.
func TestMulticastLoopsBack(t *testing.T) {
	group := netip.MustParseAddr("230.1.1.251")
	lo, err := net.InterfaceByName("lo")
	if err != nil {
		t.Fatal(err)
	}
	c, err := net.ListenPacket("udp4", "0.0.0.0:0")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	p := ipv4.NewPacketConn(c)
	if err := p.JoinGroup(lo, &net.UDPAddr{IP: group.AsSlice()}); err != nil {
		t.Fatalf("join: %v", err)
	}
	port := c.LocalAddr().(*net.UDPAddr).Port

	s, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	dst := &net.UDPAddr{IP: group.AsSlice(), Port: port}
	if _, err := s.WriteTo([]byte("hello"), dst); err != nil {
		t.Fatalf("send to the group: %v", err)
	}
	if err := c.SetReadDeadline(time.Now().Add(5 * time.Second)); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 64)
	n, _, err := c.ReadFrom(buf)
	if err != nil {
		t.Fatalf("no multicast datagram came back on lo: %v", err)
	}
	if got := string(buf[:n]); got != "hello" {
		t.Fatalf("got %q, want %q", got, "hello")
	}
}
