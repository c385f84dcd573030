//go:build unix

package mcast

import (
	"syscall"

	"golang.org/x/sys/unix"
)

// setBroadcast turns SO_BROADCAST on: without it, sending to a broadcast
// address fails (EACCES).
func setBroadcast(c syscall.RawConn) error {
	var serr error
	err := c.Control(func(fd uintptr) { serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_BROADCAST, 1) })
	if err != nil {
		return err
	}
	return serr
}
