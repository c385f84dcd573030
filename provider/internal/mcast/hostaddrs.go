package mcast

import (
	"fmt"
	"net"
	"net/netip"
	"runtime"
)

// HostAddrs returns the addresses of every interface of the host, as seen
// from the network namespace the Transport was opened in (whichever
// namespace the calling thread is in): IPv4 and IPv6, unmapped, without
// zones, loopback and link-local included. A provider leaves peers at
// these addresses out of its lookups: they are this host.
func (t *Transport) HostAddrs() ([]netip.Addr, error) {
	type result struct {
		addrs []netip.Addr
		err   error
	}
	done := make(chan result, 1)
	// A goroutine of its own, as in Receiver.Dial: its thread may have to
	// switch namespace, and a switched thread is never handed back.
	go func() {
		runtime.LockOSThread()
		switched, err := t.ns.enter()
		if !switched {
			defer runtime.UnlockOSThread()
		}
		if err != nil {
			done <- result{nil, err}
			return
		}
		a, err := hostAddrs()
		done <- result{a, err}
	}()
	r := <-done
	return r.addrs, r.err
}

// hostAddrs lists the addresses of the calling thread's namespace.
func hostAddrs() ([]netip.Addr, error) {
	as, err := net.InterfaceAddrs()
	if err != nil {
		return nil, fmt.Errorf("cannot list the addresses of this host: %w", err)
	}
	out := make([]netip.Addr, 0, len(as))
	for _, a := range as {
		n, ok := a.(*net.IPNet)
		if !ok {
			continue
		}
		if ip, ok := netip.AddrFromSlice(n.IP); ok {
			out = append(out, ip.Unmap().WithZone(""))
		}
	}
	return out, nil
}
