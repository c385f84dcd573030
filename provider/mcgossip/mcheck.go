package mcgossip

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// ErrMulticastUnavailable is wrapped by the error of a lookup that found
// nothing while this engine never saw multicast work: not even its own
// datagrams came back.
var ErrMulticastUnavailable = errors.New("multicast looks unavailable")

// loopbackWait is how long after its first multicast an engine expects to
// see one of its own datagrams come back.
const loopbackWait = time.Second

// multicastCheck tells whether multicast works for this engine: its own
// multicast comes back (the kernel loops it back) on every interface, in
// every family, or a peer's multicast arrives.
type multicastCheck struct {
	firstSend atomic.Int64 // unix ns of the first multicast, 0 before
	loopSeen  atomic.Bool  // one of our own multicasts came back
	heard     atomic.Bool  // an authentic multicast of a peer arrived

	mu      sync.Mutex
	loopIfs map[loopKey]bool // interfaces our own multicast came back on
}

// loopKey is an interface in a family.
type loopKey struct {
	v6    bool
	index int
}

// sending records a multicast sent at now and reports whether it is the
// first.
func (c *multicastCheck) sending(now time.Time) bool {
	return c.firstSend.CompareAndSwap(0, now.UnixNano())
}

// checkAt returns when to check, loopbackWait after the first multicast,
// or the zero time before it.
func (c *multicastCheck) checkAt() time.Time {
	fs := c.firstSend.Load()
	if fs == 0 {
		return time.Time{}
	}
	return time.Unix(0, fs).Add(loopbackWait)
}

// cameBack records one of our own multicasts back on interface ifindex, in
// the family of IPv6 when v6.
func (c *multicastCheck) cameBack(v6 bool, ifindex int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.loopIfs == nil {
		c.loopIfs = make(map[loopKey]bool)
	}
	c.loopIfs[loopKey{v6, ifindex}] = true
	c.loopSeen.Store(true)
}

// peerHeard records an authentic multicast of a peer.
func (c *multicastCheck) peerHeard() {
	if !c.heard.Load() {
		c.heard.Store(true)
	}
}

// silent reports whether this engine's own multicast came back but no
// peer's multicast ever arrived: the link works, and either no peer runs
// or the network between them drops the group's traffic.
func (c *multicastCheck) silent() bool { return c.loopSeen.Load() && !c.heard.Load() }

// problem returns an error wrapping ErrMulticastUnavailable that says what
// to check, or nil when multicast works as far as the engine can tell (its
// own multicast came back on every interface of ifs in every family up
// there, or a peer's multicast arrived) or it has sent nothing yet.
func (c *multicastCheck) problem(ifs []ifaceInfo, cfg *Config) error {
	if c.heard.Load() || c.firstSend.Load() == 0 {
		return nil
	}
	type bad struct {
		ifc ifaceInfo
		v6  bool
	}
	var bads []bad
	n := 0
	c.mu.Lock()
	for _, i := range ifs {
		for _, v6 := range []bool{false, true} {
			// The families the interface is used in; all of them when it
			// is down in all (a down interface is a problem too).
			if !cfg.Family.has(v6) || (i.up() && !i.fams.has(v6)) {
				continue
			}
			n++
			if !c.loopIfs[loopKey{v6, i.index}] {
				bads = append(bads, bad{i, v6})
			}
		}
	}
	c.mu.Unlock()
	if len(bads) == 0 {
		return nil
	}
	if c.loopSeen.Load() && len(bads) == n {
		// Came back on an interface we no longer know by index: fine.
		return nil
	}
	var names []string
	for _, b := range bads {
		names = append(names, b.ifc.name+familySuffix(cfg, b.v6))
	}
	return fmt.Errorf("%w on %s: %s", ErrMulticastUnavailable, strings.Join(names, ", "), unavailableHint(cfg, bads[0].ifc, bads[0].v6))
}

// familySuffix names the family after an interface when both are in use.
func familySuffix(cfg *Config, v6 bool) string {
	switch {
	case cfg.Family != FamilyDual:
		return ""
	case v6:
		return " (IPv6)"
	}
	return " (IPv4)"
}

// unavailableHint says what to check when the engine's own multicast of the
// family of IPv6 when v6 never came back on ifc.
func unavailableHint(cfg *Config, ifc ifaceInfo, v6 bool) string {
	port := cfg.Port
	const network = "and that the network carries multicast at all (cloud VPCs such as AWS, Azure and GCP, and Docker overlay networks, do not)"
	switch {
	case cfg.BroadcastOnly:
		return fmt.Sprintf("this engine's own broadcasts to port %d never came back; check that the interface is up with an IPv4 address that has a broadcast address (ip -4 addr show dev %s) "+
			"and that no firewall drops UDP to port %d", port, ifc.name, port)
	case v6 && ifc.pending6:
		return fmt.Sprintf("this engine's own multicast datagrams to [%s]:%d never came back: the interface has no IPv6 address yet, DAD is still running "+
			"(ip -6 addr show dev %s shows them tentative); it takes a few seconds after the link comes up", cfg.MulticastAddr6, port, ifc.name)
	case v6 && !ifc.addr6.IsValid():
		return fmt.Sprintf("this engine's own multicast datagrams to [%s]:%d never came back: the interface has no IPv6 address, not even a link-local one "+
			"(ip -6 addr show dev %s; is IPv6 off? sysctl net.ipv6.conf.%s.disable_ipv6)", cfg.MulticastAddr6, port, ifc.name, ifc.name)
	case v6:
		return fmt.Sprintf("this engine's own multicast datagrams to [%s]:%d never came back; check that a route covers ff00::/8 (ip -6 route get %s oif %s), "+
			"that the interface is up with the MULTICAST flag (ip link show %s), that no firewall drops UDP to port %d, %s",
			cfg.MulticastAddr6, port, cfg.MulticastAddr6, ifc.name, ifc.name, port, network)
	}
	return fmt.Sprintf("this engine's own multicast datagrams to %s:%d never came back; check that a route covers 224.0.0.0/4 (ip route get %s), "+
		"that the interface is up with the MULTICAST flag (ip link show %s), that no firewall drops UDP to %s:%d, %s",
		cfg.MulticastAddr, port, cfg.MulticastAddr, ifc.name, cfg.MulticastAddr, port, network)
}
