//go:build !unix

package mcast

import (
	"net/netip"
	"syscall"
)

// groupBindAddr is the address the group socket binds to: the wildcard
// address; the receiver checks each datagram's destination (Packet.Dst).
func groupBindAddr(group netip.Addr, port uint16, _ bool) netip.AddrPort {
	if group.Is6() {
		return netip.AddrPortFrom(netip.IPv6Unspecified(), port)
	}
	return netip.AddrPortFrom(netip.IPv4Unspecified(), port)
}

// controlGroup sets nothing on this platform: only one socket per host can
// bind the port.
func controlGroup(_, _ string, _ syscall.RawConn) error { return nil }

// controlUnicast sets nothing on this platform.
func controlUnicast(_, _ string, _ syscall.RawConn) error { return nil }

// setReadBuffer cannot ask for a receive buffer here; it reports the size
// asked for.
func setReadBuffer(_ syscall.RawConn, size int) (int, error) { return size, nil }

// setBroadcast sets nothing on this platform.
func setBroadcast(_ syscall.RawConn) error { return nil }
