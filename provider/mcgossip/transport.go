package mcgossip

import "net/netip"

// packet is one received datagram, as a transport hands it to the engine.
type packet struct {
	// data is the datagram; it is valid only during the handler call.
	data []byte
	// src is the UDP source: counted and logged when it differs from the
	// sealed endpoint, never a destination.
	src netip.AddrPort
	// dst is the destination address (IP_PKTINFO): on the group socket the
	// group (the engine drops a group datagram whose dst is not its group,
	// or unknown), on the unicast socket the local address the sender used.
	// The zero Addr when unknown.
	dst netip.Addr
	// ifindex is the interface the datagram came in on, 0 when unknown.
	ifindex int
	// group tells that it came in on the group socket (multicast), not on
	// the unicast socket.
	group bool
}

// handler is called by a transport for every datagram it receives, from
// the transport's reader goroutines (possibly concurrently).
type handler func(p *packet)

// ifaceInfo describes an interface a transport uses.
type ifaceInfo struct {
	name  string
	index int
	up    bool       // present and up at the last scan
	addr  netip.Addr // its IPv4 address at the last scan, invalid for none
}

// transport moves datagrams for an engine, in the style of memberlist's
// Transport: the engine speaks the protocol, the transport owns the
// sockets. The real one (udpTransport) uses a group socket and a unicast
// socket; tests use an in-memory fake.
type transport interface {
	// start begins delivering received datagrams to h, and calls rejoined
	// (from another goroutine) after the group was joined again on an
	// interface that had gone.
	start(h handler, rejoined func(iface string))
	// multicast sends b to the group on the interface of the given index.
	multicast(b []byte, ifindex int) error
	// unicast sends b to dst from the unicast socket.
	unicast(b []byte, dst netip.AddrPort) error
	// interfaces returns the interfaces in use.
	interfaces() []ifaceInfo
	// localPort returns the port of the unicast socket, where unicast
	// datagrams reach the engine and which everything is sent from.
	localPort() uint16
	// readBuffer returns the receive buffer the kernel granted a socket,
	// in bytes; 0 when unknown.
	readBuffer() int
	// close stops delivery and returns once every goroutine of the
	// transport has ended.
	close() error
}
