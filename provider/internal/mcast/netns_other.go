//go:build !linux

package mcast

// netnsHandle is a no-op outside Linux, which has no network namespaces.
type netnsHandle struct{}

func currentNetns() (*netnsHandle, error) { return &netnsHandle{}, nil }

func (h *netnsHandle) enter() (switched bool, err error) { return false, nil }

func (h *netnsHandle) close() {}
