//go:build !unix

package mcast

import (
	"syscall"
)

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
