package mcast

import (
	"errors"
	"net"
	"net/netip"
	"time"
)

// readLoop reads datagrams of one socket, c wrapped as pc, in batches
// until it is closed (a batchReader: recvmmsg by a raw system call on
// Linux, x/net's ReadBatch elsewhere).
func (t *Transport) readLoop(c *net.UDPConn, pc pconn, group bool, h Handler) {
	defer t.wg.Done()
	r, err := newBatchReader(c, pc, t.readSize)
	if err != nil {
		t.log.Printf(LevelWarn, "cannot read from the %s socket: %v", sockName(group), err)
		return
	}
	var (
		p       Packet
		backoff *time.Timer
	)
	for {
		n, err := r.read()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			t.log.Limited(LimitRead, LevelWarn, "reading from the %s socket: %v", sockName(group), err)
			// Do not spin on a persistent error.
			if backoff == nil {
				backoff = time.NewTimer(10 * time.Millisecond)
			} else {
				backoff.Reset(10 * time.Millisecond)
			}
			select {
			case <-t.stop:
				return
			case <-backoff.C:
			}
			continue
		}
		for i := range n {
			p = Packet{Group: group}
			var src netip.AddrPort
			var oob []byte
			p.Data, src, oob = r.datagram(i)
			if len(oob) > 0 {
				p.Dst, p.IfIndex = pc.parseOOB(oob)
			}
			if src.IsValid() {
				p.Src = netip.AddrPortFrom(scoped(src.Addr().Unmap().WithZone(""), p.IfIndex), src.Port())
			}
			if group && t.bcast {
				p.Dst = t.broadcastDst(p.Dst, p.IfIndex)
			}
			h(&p)
		}
	}
}

// broadcastDst returns LimitedBroadcast when dst, the destination of a
// datagram on the broadcast socket, is a broadcast address of interface
// ifindex (or the limited one), and dst otherwise: the one destination the
// receiver checks, whichever broadcast address its peers send to.
func (t *Transport) broadcastDst(dst netip.Addr, ifindex int) netip.Addr {
	if dst == LimitedBroadcast {
		return dst
	}
	if m := t.bcastOf.Load(); m != nil && dst.IsValid() {
		if b, ok := (*m)[ifindex]; ok && b == dst {
			return LimitedBroadcast
		}
	}
	return dst
}

func sockName(group bool) string {
	if group {
		return "group"
	}
	return "unicast"
}
