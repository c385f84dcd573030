package mcast

import (
	"errors"
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// linkWatch tells when a link or an address changes in the network
// namespace it was opened in: a rtnetlink socket subscribed to
// RTMGRP_LINK, RTMGRP_IPV4_IFADDR and RTMGRP_IPV6_IFADDR (an IPv6 address
// that finishes DAD is a change too), so an idle transport does not have
// to poll the interfaces.
type linkWatch struct{ f *os.File }

// newLinkWatch opens a watch in the calling thread's network namespace.
func newLinkWatch() (*linkWatch, error) {
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC|unix.SOCK_NONBLOCK, unix.NETLINK_ROUTE)
	if err != nil {
		return nil, fmt.Errorf("watching the interfaces: %w", os.NewSyscallError("socket", err))
	}
	sa := &unix.SockaddrNetlink{Family: unix.AF_NETLINK, Groups: unix.RTMGRP_LINK | unix.RTMGRP_IPV4_IFADDR | unix.RTMGRP_IPV6_IFADDR}
	if err := unix.Bind(fd, sa); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("watching the interfaces: %w", os.NewSyscallError("bind", err))
	}
	// A non-blocking descriptor makes a pollable File: wait parks in the
	// runtime's poller, and close wakes it.
	return &linkWatch{f: os.NewFile(uintptr(fd), "rtnetlink")}, nil
}

// wait blocks until something changed, and then reports nil. It returns an
// error once the watch is closed or broken.
func (w *linkWatch) wait() error {
	var buf [8192]byte
	_, err := w.f.Read(buf[:])
	if errors.Is(err, unix.ENOBUFS) {
		return nil // messages were lost: something changed
	}
	return err
}

// close stops the watch; a wait in progress returns.
func (w *linkWatch) close() { w.f.Close() }
