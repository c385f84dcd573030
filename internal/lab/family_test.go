package lab_test

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/ipv6"
	"golang.org/x/sys/unix"

	"github.com/mcgossip/go-discover-mcgossip/internal/lab"
)

// Tests of IPv6 and dual-stack hosts and of the bridge that drops IPv4
// multicast. Every datagram here, IPv6 multicast and broadcast alike, is
// sent inside the lab's namespaces: the host namespace's network guard
// does not catch subnet-directed broadcast.

var group6 = netip.MustParseAddr("ff02::114")

// TestFamilies: hosts have the addresses of their families, usable at
// once, and an IPv4 host of a lab with families has no IPv6 on eth0.
func TestFamilies(t *testing.T) {
	l := newLab(t, 3, lab.WithFamily(lab.IPv6), lab.WithHostFamily(2, lab.DualStack), lab.WithHostFamily(3, lab.IPv4))
	for _, h := range l.Hosts() {
		out, err := h.Command(context.Background(), "ip", "-o", "addr", "show", "dev", "eth0").CombinedOutput()
		if err != nil {
			t.Fatalf("ip addr in %s: %v: %s", h, err, out)
		}
		got := string(out)
		has4, has6 := strings.Contains(got, " inet "), strings.Contains(got, "inet6 fd6d:6367:6c61::")
		ll := strings.Contains(got, "inet6 fe80::")
		switch h.Index {
		case 1:
			if has4 || !has6 || !ll || h.Addr.IsValid() || h.Addr6.String() != "fd6d:6367:6c61::1" || h.Family != lab.IPv6 {
				t.Errorf("IPv6 host %s (%v %v %v): %s", h, h.Family, h.Addr, h.Addr6, got)
			}
		case 2:
			if !has4 || !has6 || !ll || h.Addr.String() != "198.18.0.2" || h.Addr6.String() != "fd6d:6367:6c61::2" {
				t.Errorf("dual-stack host %s (%v %v): %s", h, h.Addr, h.Addr6, got)
			}
		case 3:
			if !has4 || has6 || ll || h.Addr.String() != "198.18.0.3" || h.Addr6.IsValid() {
				t.Errorf("IPv4 host %s (%v %v): %s", h, h.Addr, h.Addr6, got)
			}
		}
		if strings.Contains(got, "tentative") {
			t.Errorf("%s has tentative addresses (DAD on): %s", h, got)
		}
	}
	if _, err := lab.Start(1, lab.WithHostFamily(2, lab.IPv6)); err == nil || !strings.Contains(err.Error(), "invalid family") {
		t.Errorf("a family for a host the lab does not have: %v", err)
	}
}

// join6 opens a socket in h on port that joined group6 on eth0.
func join6(t *testing.T, h *lab.Host, port int) *ipv6.PacketConn {
	t.Helper()
	c, err := h.ListenPacket("udp6", "[::]:"+strconv.Itoa(port))
	if err != nil {
		t.Fatalf("listen in %s: %v", h, err)
	}
	t.Cleanup(func() { c.Close() })
	ifi, err := h.Interface()
	if err != nil {
		t.Fatal(err)
	}
	p := ipv6.NewPacketConn(c)
	if err := p.JoinGroup(ifi, &net.UDPAddr{IP: group6.AsSlice()}); err != nil {
		t.Fatalf("join %s in %s: %v", group6, h, err)
	}
	return p
}

// TestIPv6Multicast: a datagram to an IPv6 group of link-local scope from
// one host reaches another, from its link-local address; a unicast one
// reaches the unique-local address.
func TestIPv6Multicast(t *testing.T) {
	l := newLab(t, 2, lab.WithFamily(lab.IPv6))
	h1, h2 := l.Host(1), l.Host(2)
	const port = 47011
	r := join6(t, h1, port)
	c, err := h2.ListenPacket("udp6", "[::]:0")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ifi, _ := h2.Interface()
	s := ipv6.NewPacketConn(c)
	if err := s.SetMulticastInterface(ifi); err != nil {
		t.Fatal(err)
	}
	if _, err := s.WriteTo([]byte("to the group"), nil, &net.UDPAddr{IP: group6.AsSlice(), Port: port}); err != nil {
		t.Fatal(err)
	}
	_ = r.SetReadDeadline(time.Now().Add(5 * time.Second))
	buf := make([]byte, 64)
	n, _, src, err := r.ReadFrom(buf)
	if err != nil || string(buf[:n]) != "to the group" || !src.(*net.UDPAddr).IP.IsLinkLocalUnicast() {
		t.Fatalf("h1 got %q from %v, %v", buf[:n], src, err)
	}
	if _, err := c.WriteTo([]byte("unicast"), net.UDPAddrFromAddrPort(netip.AddrPortFrom(h1.Addr6, port))); err != nil {
		t.Fatal(err)
	}
	n, _, src, err = r.ReadFrom(buf)
	if err != nil || string(buf[:n]) != "unicast" || src.(*net.UDPAddr).AddrPort().Addr() != h2.Addr6 {
		t.Fatalf("h1 got %q from %v, %v", buf[:n], src, err)
	}
}

// TestDropIPv4Multicast: the bridge drops IPv4 multicast between the hosts
// (and counts it) while broadcast and IPv6 multicast pass, and forwards
// it again when told.
func TestDropIPv4Multicast(t *testing.T) {
	l := newLab(t, 2, lab.WithFamily(lab.DualStack))
	h1, h2 := l.Host(1), l.Host(2)
	const port = 47012
	m := join(t, h1, port)
	m6 := join6(t, h1, port+1)
	s := sender(t, h2)
	if err := l.DropIPv4Multicast(true); err != nil {
		t.Fatal(err)
	}
	send(t, s, port, "dropped")
	// Broadcast to the subnet's broadcast address, from h2.
	b, err := h2.ListenPacket("udp4", "0.0.0.0:0")
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	rc, _ := b.(*net.UDPConn).SyscallConn()
	if err := rc.Control(func(fd uintptr) { unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_BROADCAST, 1) }); err != nil {
		t.Fatal(err)
	}
	if _, err := b.WriteTo([]byte("broadcast"), &net.UDPAddr{IP: net.IPv4(198, 19, 255, 255), Port: port}); err != nil {
		t.Fatal(err)
	}
	d, err := m.receive(time.Now().Add(5 * time.Second))
	if err != nil || d.payload != "broadcast" || d.dst.String() != "198.19.255.255" {
		t.Fatalf("h1 got %+v, %v; want the broadcast (and not the multicast before it)", d, err)
	}
	c6, err := h2.ListenPacket("udp6", "[::]:0")
	if err != nil {
		t.Fatal(err)
	}
	defer c6.Close()
	ifi, _ := h2.Interface()
	if err := ipv6.NewPacketConn(c6).SetMulticastInterface(ifi); err != nil {
		t.Fatal(err)
	}
	if _, err := c6.WriteTo([]byte("six"), &net.UDPAddr{IP: group6.AsSlice(), Port: port + 1}); err != nil {
		t.Fatal(err)
	}
	_ = m6.SetReadDeadline(time.Now().Add(5 * time.Second))
	buf := make([]byte, 16)
	if n, _, _, err := m6.ReadFrom(buf); err != nil || string(buf[:n]) != "six" {
		t.Fatalf("IPv6 multicast: %q, %v", buf[:n], err)
	}
	if n, err := l.DroppedIPv4Multicast(); err != nil || n < 1 {
		t.Errorf("the bridge dropped %d packets, %v", n, err)
	}
	if err := l.DropIPv4Multicast(false); err != nil {
		t.Fatal(err)
	}
	send(t, s, port, "forwarded")
	if d, err := m.receive(time.Now().Add(5 * time.Second)); err != nil || d.payload != "forwarded" {
		t.Fatalf("after the rule is gone: %+v, %v", d, err)
	}
	if _, err := m.receive(time.Now().Add(50 * time.Millisecond)); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Errorf("a further datagram: %v", err)
	}
}
