package mcgossip

import "net/netip"

// packet is one received datagram, as a transport hands it to the engine.
type packet struct {
	// data is the datagram; it is valid only during the handler call.
	data []byte
	// src is the UDP source: counted and logged when it differs from the
	// sealed endpoint, never a destination. An IPv6 link-local one is
	// zoned by the interface index.
	src netip.AddrPort
	// dst is the destination address (IP_PKTINFO, IPV6_PKTINFO): on the
	// group socket the group (the engine drops a group datagram whose dst
	// is not its group of that family, or unknown; with broadcast_only,
	// every broadcast address the transport accepts is 255.255.255.255),
	// on the unicast socket the local address the sender used. The zero
	// Addr when unknown.
	dst netip.Addr
	// ifindex is the interface the datagram came in on, 0 when unknown.
	ifindex int
	// group tells that it came in on the group socket (multicast or
	// broadcast), not on the unicast socket.
	group bool
}

// handler is called by a transport for every datagram it receives, from
// the transport's reader goroutines (possibly concurrently).
type handler func(p *packet)

// ifaceInfo describes an interface a transport uses.
type ifaceInfo struct {
	name  string
	index int
	// fams are the families whose group the interface is up and joined
	// in (or, broadcasting, up in) at the last scan; none: not up.
	fams Family
	// addr is its IPv4 address at the last scan, invalid for none (or
	// when the engine does not use IPv4 there).
	addr netip.Addr
	// addr6 is its IPv6 address at the last scan: a global or
	// unique-local one, else the link-local one (without zone); invalid
	// for none.
	addr6 netip.Addr
	// pending6 tells that its IPv6 addresses are all still tentative (DAD
	// is running).
	pending6 bool
}

// up reports whether the interface is up in a family.
func (i ifaceInfo) up() bool { return i.fams != 0 }

// addrOf returns its address of the family of IPv6 when v6, else IPv4.
func (i ifaceInfo) addrOf(v6 bool) netip.Addr {
	if v6 {
		return i.addr6
	}
	return i.addr
}

// transport moves datagrams for an engine, in the style of memberlist's
// Transport: the engine speaks the protocol, the transport owns the
// sockets. The real one (udpTransport) uses a group socket and a unicast
// socket per address family; tests use an in-memory fake.
type transport interface {
	// start begins delivering received datagrams to h, and calls rejoined
	// (from another goroutine) after the group was joined again on an
	// interface that had gone, or an interface has a new address.
	start(h handler, rejoined func(iface string))
	// multicast sends b to the group of every family that is up on the
	// interface of the given index (or broadcasts it there).
	multicast(b []byte, ifindex int) error
	// unicast sends b to dst from the unicast socket of dst's family.
	unicast(b []byte, dst netip.AddrPort) error
	// interfaces returns the interfaces in use.
	interfaces() []ifaceInfo
	// localPort returns the port of the unicast socket of the family of
	// IPv6 when v6, else IPv4, where unicast datagrams of that family
	// reach the engine and which its datagrams are sent from; 0 when the
	// family is not in use.
	localPort(v6 bool) uint16
	// readBuffer returns the receive buffer the kernel granted a socket,
	// in bytes; 0 when unknown.
	readBuffer() int
	// close stops delivery and returns once every goroutine of the
	// transport has ended.
	close() error
}
