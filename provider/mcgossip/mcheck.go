package mcgossip

import (
	"errors"
	"fmt"
	"net/netip"
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
// multicast comes back (the kernel loops it back) on every interface, or a
// peer's multicast arrives.
type multicastCheck struct {
	firstSend atomic.Int64 // unix ns of the first multicast, 0 before
	loopSeen  atomic.Bool  // one of our own multicasts came back
	heard     atomic.Bool  // an authentic multicast of a peer arrived

	mu      sync.Mutex
	loopIfs map[int]bool // interfaces our own multicast came back on
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

// cameBack records one of our own multicasts back on interface ifindex.
func (c *multicastCheck) cameBack(ifindex int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.loopIfs == nil {
		c.loopIfs = make(map[int]bool)
	}
	c.loopIfs[ifindex] = true
	c.loopSeen.Store(true)
}

// peerHeard records an authentic multicast of a peer.
func (c *multicastCheck) peerHeard() {
	if !c.heard.Load() {
		c.heard.Store(true)
	}
}

// problem returns an error wrapping ErrMulticastUnavailable that says what
// to check, or nil when multicast works as far as the engine can tell (its
// own multicast came back on every interface of ifs, or a peer's multicast
// arrived) or it has sent nothing yet.
func (c *multicastCheck) problem(ifs []ifaceInfo, group netip.AddrPort) error {
	if c.heard.Load() || c.firstSend.Load() == 0 {
		return nil
	}
	var bad []string
	c.mu.Lock()
	for _, i := range ifs {
		if !c.loopIfs[i.index] {
			bad = append(bad, i.name)
		}
	}
	c.mu.Unlock()
	if len(bad) == 0 {
		return nil
	}
	if c.loopSeen.Load() && len(bad) == len(ifs) {
		// Came back on an interface we no longer know by index: fine.
		return nil
	}
	return fmt.Errorf("%w on %s: this engine's own multicast datagrams to %s never came back; check that a route covers 224.0.0.0/4 (ip route get %s), "+
		"that the interface is up with the MULTICAST flag (ip link show %s), that no firewall drops UDP to %s, "+
		"and that the network carries multicast at all (cloud VPCs such as AWS, Azure and GCP, and Docker overlay networks, do not)",
		ErrMulticastUnavailable, strings.Join(bad, ", "), group, group.Addr(), bad[0], group)
}
