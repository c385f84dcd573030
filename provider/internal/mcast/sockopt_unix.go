//go:build unix && !linux

package mcast

import (
	"syscall"

	"golang.org/x/sys/unix"
)

// controlGroup sets SO_REUSEADDR and SO_REUSEPORT (this platform's
// constants) so several sockets (engines) share a host and a port.
func controlGroup(_, _ string, c syscall.RawConn) error {
	var serr error
	err := c.Control(func(fd uintptr) {
		if serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_REUSEADDR, 1); serr != nil {
			return
		}
		serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_REUSEPORT, 1)
	})
	if err != nil {
		return err
	}
	return serr
}

// controlUnicast needs nothing here.
func controlUnicast(_, _ string, _ syscall.RawConn) error { return nil }

// setReadBuffer asks for a receive buffer of size bytes (SO_RCVBUF, which
// the kernel may cap) and returns the size it granted.
func setReadBuffer(c syscall.RawConn, size int) (int, error) {
	var got int
	var serr error
	err := c.Control(func(fd uintptr) {
		s := int(fd)
		if serr = unix.SetsockoptInt(s, unix.SOL_SOCKET, unix.SO_RCVBUF, size); serr != nil {
			return
		}
		got, serr = unix.GetsockoptInt(s, unix.SOL_SOCKET, unix.SO_RCVBUF)
	})
	if err != nil {
		return 0, err
	}
	return got, serr
}
