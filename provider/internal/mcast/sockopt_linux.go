package mcast

import (
	"net/netip"
	"syscall"

	"golang.org/x/sys/unix"
)

// groupBindAddr is the address the group socket binds to. On Linux that is
// the group itself, so the socket gets no datagram of another group or a
// unicast one sent to the port (JGroups' JGRP-836, golang/go#34728).
func groupBindAddr(group netip.Addr, port uint16) netip.AddrPort {
	return netip.AddrPortFrom(group, port)
}

// controlGroup prepares the group socket before bind: SO_REUSEADDR and
// SO_REUSEPORT so several sockets (engines) share a host and a port, and
// IP_MULTICAST_ALL off so the socket gets only the groups it joined itself.
func controlGroup(_, _ string, c syscall.RawConn) error {
	var serr error
	err := c.Control(func(fd uintptr) {
		s := int(fd)
		if serr = unix.SetsockoptInt(s, unix.SOL_SOCKET, unix.SO_REUSEADDR, 1); serr != nil {
			return
		}
		if serr = unix.SetsockoptInt(s, unix.SOL_SOCKET, unix.SO_REUSEPORT, 1); serr != nil {
			return
		}
		serr = unix.SetsockoptInt(s, unix.IPPROTO_IP, unix.IP_MULTICAST_ALL, 0)
	})
	if err != nil {
		return err
	}
	return serr
}

// controlUnicast prepares the unicast socket: it joins no group, and with
// IP_MULTICAST_ALL off no other socket's group reaches it.
func controlUnicast(_, _ string, c syscall.RawConn) error {
	var serr error
	err := c.Control(func(fd uintptr) {
		serr = unix.SetsockoptInt(int(fd), unix.IPPROTO_IP, unix.IP_MULTICAST_ALL, 0)
	})
	if err != nil {
		return err
	}
	return serr
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
