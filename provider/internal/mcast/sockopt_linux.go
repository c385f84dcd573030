package mcast

import (
	"net/netip"
	"syscall"

	"golang.org/x/sys/unix"
)

// groupBindAddr is the address the group socket binds to. On Linux that is
// an IPv4 group itself, so the socket gets no datagram of another group or
// a unicast one sent to the port (JGroups' JGRP-836, golang/go#34728).
// An IPv6 group socket binds the wildcard address: binding a group of
// link-local scope (ff02::/16) needs a scope id, which would tie the
// socket to one interface; the receiver checks each datagram's
// destination (Packet.Dst) instead, and IPV6_MULTICAST_ALL off keeps
// other sockets' groups away. A broadcast socket binds the wildcard
// address too: it receives broadcasts to the port on every interface
// (limited and directed alike), and the Transport tells them from
// unicast by their destination.
func groupBindAddr(group netip.Addr, port uint16, broadcast bool) netip.AddrPort {
	switch {
	case group.Is6():
		return netip.AddrPortFrom(netip.IPv6Unspecified(), port)
	case broadcast:
		return netip.AddrPortFrom(netip.IPv4Unspecified(), port)
	}
	return netip.AddrPortFrom(group, port)
}

// controlGroup prepares the group socket before bind: SO_REUSEADDR and
// SO_REUSEPORT so several sockets (engines) share a host and a port, and
// IP_MULTICAST_ALL (IPV6_MULTICAST_ALL) off so the socket gets only the
// groups it joined itself.
func controlGroup(network, _ string, c syscall.RawConn) error {
	var serr error
	err := c.Control(func(fd uintptr) {
		s := int(fd)
		if serr = unix.SetsockoptInt(s, unix.SOL_SOCKET, unix.SO_REUSEADDR, 1); serr != nil {
			return
		}
		if serr = unix.SetsockoptInt(s, unix.SOL_SOCKET, unix.SO_REUSEPORT, 1); serr != nil {
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
