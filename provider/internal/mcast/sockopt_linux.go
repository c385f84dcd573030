package mcast

import (
	"syscall"

	"golang.org/x/sys/unix"
)

// controlGroup prepares the group socket before bind: SO_REUSEADDR, so
// several sockets (engines, a BEAM node's Gossip socket) share a host and a
// port and each gets every datagram of the groups it joined, and
// IP_MULTICAST_ALL (IPV6_MULTICAST_ALL) off so the socket gets only the
// groups it joined itself.
//
// Not SO_REUSEPORT: Go binds a socket for a multicast address to the
// wildcard address, so every group socket on a port would share one
// reuseport group, and Linux (6.x, after early demux) steers a multicast
// datagram that only one of them joined to any socket of that group by a
// hash of its addresses and ports: a libcluster receiver beside an
// mcgossip agent lost about half of its heartbeats that way
// (TestGroupsShareAPort). SO_REUSEPORT's load balancing is for unicast
// servers; SO_REUSEADDR is what UDP multicast receivers share a port with.
func controlGroup(network, _ string, c syscall.RawConn) error {
	var serr error
	err := c.Control(func(fd uintptr) {
		s := int(fd)
		if serr = unix.SetsockoptInt(s, unix.SOL_SOCKET, unix.SO_REUSEADDR, 1); serr != nil {
			return
		}
		serr = multicastAllOff(s, network)
	})
	if err != nil {
		return err
	}
	return serr
}

// controlUnicast prepares the unicast socket: it joins no group, and with
// IP_MULTICAST_ALL (IPV6_MULTICAST_ALL) off no other socket's group
// reaches it.
func controlUnicast(network, _ string, c syscall.RawConn) error {
	var serr error
	err := c.Control(func(fd uintptr) { serr = multicastAllOff(int(fd), network) })
	if err != nil {
		return err
	}
	return serr
}

// multicastAllOff turns IP_MULTICAST_ALL, or for udp6 IPV6_MULTICAST_ALL,
// off. Linux before 4.20 has no IPV6_MULTICAST_ALL (ENOPROTOOPT): there an
// IPv6 socket may get the groups other sockets of the host joined on its
// port, which the receiver's destination check drops.
func multicastAllOff(s int, network string) error {
	if network == "udp6" {
		if err := unix.SetsockoptInt(s, unix.IPPROTO_IPV6, unix.IPV6_MULTICAST_ALL, 0); err != nil && err != unix.ENOPROTOOPT {
			return err
		}
		return nil
	}
	return unix.SetsockoptInt(s, unix.IPPROTO_IP, unix.IP_MULTICAST_ALL, 0)
}

// setReadBuffer asks for a receive buffer of size bytes: SO_RCVBUFFORCE,
// which passes net.core.rmem_max but needs CAP_NET_ADMIN in the initial
// user namespace, else SO_RCVBUF, which the kernel caps at rmem_max. It
// returns the size the kernel granted, in the unit asked for (Linux
// reports twice the size set, the room it keeps for its bookkeeping).
func setReadBuffer(c syscall.RawConn, size int) (int, error) {
	var got int
	var serr error
	err := c.Control(func(fd uintptr) {
		s := int(fd)
		if unix.SetsockoptInt(s, unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, size) != nil {
			if serr = unix.SetsockoptInt(s, unix.SOL_SOCKET, unix.SO_RCVBUF, size); serr != nil {
				return
			}
		}
		got, serr = unix.GetsockoptInt(s, unix.SOL_SOCKET, unix.SO_RCVBUF)
		got /= 2
	})
	if err != nil {
		return 0, err
	}
	return got, serr
}
