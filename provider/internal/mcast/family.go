package mcast

import (
	"net"
	"net/netip"
	"strconv"

	"golang.org/x/net/ipv4"
	"golang.org/x/net/ipv6"
)

// pconn is what a Transport does with one socket that depends on its
// address family: x/net's ipv4.PacketConn or ipv6.PacketConn, with the
// same calls. (ipv4.Message and ipv6.Message are the same type.)
type pconn interface {
	// join and leave the group on an interface.
	join(ifi *net.Interface, group netip.Addr) error
	leave(ifi *net.Interface, group netip.Addr) error
	// askPacketInfo turns on the destination and interface of each
	// datagram (IP_PKTINFO, IPV6_RECVPKTINFO).
	askPacketInfo() error
	// setMulticastIface chooses the interface multicast leaves on
	// (IP_MULTICAST_IF, IPV6_MULTICAST_IF).
	setMulticastIface(ifi *net.Interface) error
	// setHops sets the multicast TTL (IPv4) or hop limit (IPv6).
	setHops(n int) error
	// setLoopback turns multicast loopback on or off (IP_MULTICAST_LOOP,
	// IPV6_MULTICAST_LOOP).
	setLoopback(on bool) error
	// readBatch reads up to len(ms) datagrams (recvmmsg): the
	// batchReader of systems other than Linux, where it is not a raw
	// system call (recv_linux.go).
	readBatch(ms []ipv4.Message) (int, error)
	// newOOB returns a buffer for the control messages of one datagram.
	newOOB() []byte
	// parseOOB returns a datagram's destination and interface from its
	// control messages; the zero Addr and 0 when they are not there.
	parseOOB(b []byte) (dst netip.Addr, ifindex int)
	// writeVia sends b to dst out of the interface ifindex, from the
	// source address src unless it is invalid, both chosen by a control
	// message (IP_PKTINFO, IPV6_PKTINFO): what a broadcast to
	// 255.255.255.255 needs, which IP_MULTICAST_IF does not steer, and
	// an IPv6 multicast from the address its datagram is sealed with.
	writeVia(b []byte, ifindex int, src netip.Addr, dst netip.AddrPort) error
}

// newPconn wraps c for the family of v6.
func newPconn(c *net.UDPConn, v6 bool) pconn {
	if v6 {
		return pc6{ipv6.NewPacketConn(c)}
	}
	return pc4{ipv4.NewPacketConn(c)}
}

// pc4 is an IPv4 socket.
type pc4 struct{ p *ipv4.PacketConn }

func (c pc4) join(ifi *net.Interface, g netip.Addr) error {
	return c.p.JoinGroup(ifi, &net.UDPAddr{IP: g.AsSlice()})
}

func (c pc4) leave(ifi *net.Interface, g netip.Addr) error {
	return c.p.LeaveGroup(ifi, &net.UDPAddr{IP: g.AsSlice()})
}

func (c pc4) askPacketInfo() error {
	return c.p.SetControlMessage(ipv4.FlagDst|ipv4.FlagInterface, true)
}

func (c pc4) setMulticastIface(ifi *net.Interface) error { return c.p.SetMulticastInterface(ifi) }
func (c pc4) setHops(n int) error                        { return c.p.SetMulticastTTL(n) }
func (c pc4) setLoopback(on bool) error                  { return c.p.SetMulticastLoopback(on) }
func (c pc4) readBatch(ms []ipv4.Message) (int, error)   { return c.p.ReadBatch(ms, 0) }
func (c pc4) newOOB() []byte                             { return ipv4.NewControlMessage(ipv4.FlagDst | ipv4.FlagInterface) }

func (c pc4) parseOOB(b []byte) (netip.Addr, int) {
	var cm ipv4.ControlMessage
	if cm.Parse(b) != nil {
		return netip.Addr{}, 0
	}
	a, _ := netip.AddrFromSlice(cm.Dst)
	return a.Unmap(), cm.IfIndex
}

func (c pc4) writeVia(b []byte, ifindex int, src netip.Addr, dst netip.AddrPort) error {
	cm := &ipv4.ControlMessage{IfIndex: ifindex}
	if src.IsValid() {
		cm.Src = src.AsSlice()
	}
	_, err := c.p.WriteTo(b, cm, net.UDPAddrFromAddrPort(dst))
	return err
}

// pc6 is an IPv6 socket.
type pc6 struct{ p *ipv6.PacketConn }

func (c pc6) join(ifi *net.Interface, g netip.Addr) error {
	return c.p.JoinGroup(ifi, &net.UDPAddr{IP: g.AsSlice()})
}

func (c pc6) leave(ifi *net.Interface, g netip.Addr) error {
	return c.p.LeaveGroup(ifi, &net.UDPAddr{IP: g.AsSlice()})
}

func (c pc6) askPacketInfo() error {
	return c.p.SetControlMessage(ipv6.FlagDst|ipv6.FlagInterface, true)
}

func (c pc6) setMulticastIface(ifi *net.Interface) error { return c.p.SetMulticastInterface(ifi) }
func (c pc6) setHops(n int) error                        { return c.p.SetMulticastHopLimit(n) }
func (c pc6) setLoopback(on bool) error                  { return c.p.SetMulticastLoopback(on) }
func (c pc6) readBatch(ms []ipv4.Message) (int, error)   { return c.p.ReadBatch(ms, 0) }
func (c pc6) newOOB() []byte                             { return ipv6.NewControlMessage(ipv6.FlagDst | ipv6.FlagInterface) }

func (c pc6) parseOOB(b []byte) (netip.Addr, int) {
	var cm ipv6.ControlMessage
	if cm.Parse(b) != nil {
		return netip.Addr{}, 0
	}
	a, _ := netip.AddrFromSlice(cm.Dst)
	return a, cm.IfIndex
}

func (c pc6) writeVia(b []byte, ifindex int, src netip.Addr, dst netip.AddrPort) error {
	cm := &ipv6.ControlMessage{IfIndex: ifindex}
	if src.IsValid() {
		cm.Src = src.WithZone("").AsSlice()
	}
	_, err := c.p.WriteTo(b, cm, net.UDPAddrFromAddrPort(dst))
	return err
}

// scoped returns a with the zone of interface ifindex, as a number, when
// a is an IPv6 link-local address (which means nothing without one), and
// a unchanged otherwise. The number, not the name: the name a process
// knows is that of its own namespace, which may not be the Transport's.
func scoped(a netip.Addr, ifindex int) netip.Addr {
	if !a.Is6() || !a.IsLinkLocalUnicast() || ifindex <= 0 {
		return a
	}
	return a.WithZone(strconv.Itoa(ifindex))
}
