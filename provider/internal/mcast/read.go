package mcast

import (
	"errors"
	"net"
	"net/netip"
	"time"

	"golang.org/x/net/ipv4"
)

// readLoop reads datagrams of one socket in batches until it is closed.
func (t *Transport) readLoop(pc pconn, group bool, h Handler) {
	defer t.wg.Done()
	ms := make([]ipv4.Message, readBatch) // the same type as ipv6.Message
	for i := range ms {
		ms[i].Buffers = [][]byte{make([]byte, t.readSize)}
		ms[i].OOB = pc.newOOB()
	}
	var (
		p       Packet
		backoff *time.Timer
	)
	for {
		n, err := pc.readBatch(ms)
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
		for i := range ms[:n] {
			m := &ms[i]
			p = Packet{Data: m.Buffers[0][:m.N], Group: group}
			if m.NN > 0 {
				p.Dst, p.IfIndex = pc.parseOOB(m.OOB[:m.NN])
			}
			if ua, ok := m.Addr.(*net.UDPAddr); ok {
				src := ua.AddrPort()
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
