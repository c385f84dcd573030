package mcgossip

import "net/netip"

// Never this host. A lookup (Discover, so Provider.Addrs and the CLI's
// addrs) leaves out the peers whose address belongs to one of this host's
// interfaces unless Config.ExcludeLocal is false: an agent beside a
// Consul or Nomad server is that server, and a join to itself ends their
// retry_join as a success. Peers, Events and the table keep them.

// hostAddrser is a transport that can list the addresses of the host it
// runs on (in its network namespace). The in-memory test network has none
// unless a test gives it some.
type hostAddrser interface {
	hostAddrs() ([]netip.Addr, error)
}

// hostAddrs lists the host's addresses in the transport's namespace (both
// families: either socket layer lists them all).
func (u *udpTransport) hostAddrs() ([]netip.Addr, error) {
	if u.v4 != nil {
		return u.v4.HostAddrs()
	}
	return u.v6.HostAddrs()
}

// localFilter returns a function that tells the peers at this host's
// addresses, or nil when there are none to leave out (exclude false, or a
// transport that knows no host). When the host's addresses cannot be
// listed, the addresses of the interfaces in use stand for them.
func (e *Engine) localFilter(exclude bool) func(Peer) bool {
	if !exclude {
		return nil
	}
	h, ok := e.tr.(hostAddrser)
	if !ok {
		return nil
	}
	addrs, err := h.hostAddrs()
	if err != nil {
		e.log.printf(levelDebug, "%v; leaving out only the addresses of %v", err, e.ifaceNames())
		addrs = addrs[:0]
		for _, i := range e.tr.interfaces() {
			if i.addr.IsValid() {
				addrs = append(addrs, i.addr)
			}
		}
	}
	local := make(map[netip.Addr]bool, len(addrs))
	for _, a := range addrs {
		local[a.Unmap().WithZone("")] = true
	}
	return func(p Peer) bool { return local[p.Addr.Unmap().WithZone("")] }
}
