//go:build !unix

package mcgossip

import (
	"net/netip"
	"syscall"
)

// groupBindAddr is the address the group socket binds to: the wildcard
// address; the engine checks each datagram's destination.
func groupBindAddr(_ netip.Addr, port int) netip.AddrPort {
	return netip.AddrPortFrom(netip.IPv4Unspecified(), uint16(port))
}

// controlGroup sets nothing on this platform: only one engine per host can
// bind the port.
func controlGroup(_, _ string, _ syscall.RawConn) error { return nil }

// controlUnicast sets nothing on this platform.
func controlUnicast(_, _ string, _ syscall.RawConn) error { return nil }
