package mcgossip

import "net/netip"

// packet is one received datagram, as a transport hands it to the engine.
type packet struct {
	// data is the datagram; it is valid only during the handler call.
	data []byte
	// src is the UDP source.
	src netip.AddrPort
	// dst is the destination address (IP_PKTINFO) of a datagram from the
	// group socket; the engine drops a group datagram whose dst is not its
	// group, or unknown. The zero Addr on the unicast socket.
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
	up    bool // present and up at the last scan
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
	// multicast sends b to the group on every interface.
	multicast(b []byte) error
	// unicast sends b to dst from the unicast socket.
	unicast(b []byte, dst netip.AddrPort) error
	// interfaces returns the interfaces in use.
	interfaces() []ifaceInfo
	// close stops delivery and returns once every goroutine of the
	// transport has ended.
	close() error
}
