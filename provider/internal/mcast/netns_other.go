//go:build !linux

package mcast

import (
	"fmt"
	"net"
	"sync/atomic"
)

// netnsHandle stands for the namespace outside Linux, which has no network
// namespaces: enter never switches, and fails once the handle is closed,
// as on Linux.
type netnsHandle struct{ closed atomic.Bool }

func currentNetns() (*netnsHandle, error) { return &netnsHandle{}, nil }

func (h *netnsHandle) enter() (switched bool, err error) {
	if h.closed.Load() {
		return false, fmt.Errorf("entering the engine's network namespace: %w", net.ErrClosed)
	}
	return false, nil
}

func (h *netnsHandle) close() {
	if h != nil {
		h.closed.Store(true)
	}
}
