package mcgossip

import (
	"crypto/rand"
	"errors"
	"math"
	"net/netip"
	"sync"
	"time"

	"github.com/mcgossip/go-discover-mcgossip/provider/mcgossip/wire"
)

// Sending. Every announce, query and answer carries the endpoint where this
// engine receives unicast, sealed: the unicast socket's port and the
// address of the interface the datagram leaves on (a multicast is sealed
// once per interface), or for an answer, of the interface the query came in
// on. With if_addr set, the unicast socket is bound to it and the endpoint
// is always if_addr. Receivers reply only to sealed endpoints.

// errNoInterfaceUp is the error of a multicast that found no interface up
// with an address to seal.
var errNoInterfaceUp = errors.New("no interface is up with an IPv4 address")

// message returns a message of type t from this engine, with the next
// counter and no endpoint yet.
func (e *Engine) message(t wire.Type, q wire.QueryID, now time.Time) wire.Message {
	m := wire.Message{Type: t, Instance: e.id, Time: now, Counter: e.counter.Add(1), Query: q}
	if t == wire.TypeAnnounce || t == wire.TypeAnswer {
		m.Advertise, m.Port, m.Name, m.Interval = e.cfg.Advertise, e.cfg.AdvertisePort, e.cfg.Name, e.cfg.Interval
	}
	return m
}

// endpoint returns the endpoint to seal for the local address a: if_addr
// when set, else a, with the unicast socket's port.
func (e *Engine) endpoint(a netip.Addr) (netip.AddrPort, bool) {
	if e.cfg.IfAddr.IsValid() && !e.cfg.IfAddr.IsUnspecified() {
		a = e.cfg.IfAddr
	}
	if !a.IsValid() || !a.Is4() || a.IsUnspecified() {
		return netip.AddrPort{}, false
	}
	return netip.AddrPortFrom(a, e.tr.localPort()), true
}

// replyEndpoint returns the endpoint to seal in a reply to a datagram that
// came in at via: the local address it was sent to (unicast), else the
// address of the interface it came in on, else of any interface.
func (e *Engine) replyEndpoint(via arrival) (netip.AddrPort, bool) {
	if ep, ok := e.endpoint(via.local); ok {
		return ep, true
	}
	ifs := e.tr.interfaces()
	for _, i := range ifs {
		if i.index == via.ifindex && i.addr.IsValid() {
			return e.endpoint(i.addr)
		}
	}
	for _, i := range ifs {
		if i.up && i.addr.IsValid() {
			return e.endpoint(i.addr)
		}
	}
	return e.endpoint(netip.Addr{})
}

// multicast sends a message of type t to the group on every interface that
// is up, sealed for each with that interface's endpoint (a leave carries
// none). window and seen go into a query (0 and nil: none).
func (e *Engine) multicast(t wire.Type, q wire.QueryID, window time.Duration, seen *wire.SeenFilter) error {
	now := e.now()
	if e.mcheck.sending(now) {
		e.wakeLoop() // the loop arms the check that our multicast loops back
	}
	var errs []error
	sent := false
	for _, ifc := range e.tr.interfaces() {
		if !ifc.up {
			continue
		}
		m := e.message(t, q, now)
		m.Window = window
		if seen != nil {
			m.Seen = *seen
		}
		if t != wire.TypeLeave {
			ep, ok := e.endpoint(ifc.addr)
			if !ok {
				e.log.limited(limitNoAddr, levelWarn, "interface %s has no IPv4 address, so nothing is sent there (peers could not reply); give it one, or set if_addr", ifc.name)
				continue
			}
			m.Endpoint4 = ep
		}
		sent = true
		if err := e.send(&m, netip.AddrPort{}, ifc.index); err != nil {
			errs = append(errs, err)
		}
	}
	if !sent {
		e.ctr.sendErrors.Add(1)
		e.log.limited(limitSend, levelWarn, "sending a %s: %v", t, errNoInterfaceUp)
		return errNoInterfaceUp
	}
	return errors.Join(errs...)
}

// answer sends the answer j, sealed with the endpoint of the interface the
// query came in on, to the query's sealed endpoint.
func (e *Engine) answer(j answerJob) {
	m := e.message(wire.TypeAnswer, j.q, e.now())
	m.Members = uint32(min(e.table.len()+1, math.MaxUint32))
	if j.window >= time.Microsecond {
		m.Window = j.window
	}
	e.reply(&m, j.dst, j.via)
}

// verifyQuery sends the verification query j to the candidate's sealed
// endpoint, unless too many query ids wait for answers already.
func (e *Engine) verifyQuery(j verifyJob, now time.Time) {
	q := newQueryID()
	if ok, _ := e.pending.expiring(q, now.Add(queryGrace)); !ok {
		return
	}
	m := e.message(wire.TypeQuery, q, now)
	e.reply(&m, j.dst, j.via)
}

// reply seals m with the endpoint for via and unicasts it to dst.
func (e *Engine) reply(m *wire.Message, dst netip.AddrPort, via arrival) {
	ep, ok := e.replyEndpoint(via)
	if !ok {
		e.ctr.sendErrors.Add(1)
		e.log.limited(limitNoAddr, levelWarn, "cannot send a %s to %s: no interface has an IPv4 address to reply from; set if_addr", m.Type, dst)
		return
	}
	m.Endpoint4 = ep
	e.send(m, dst, 0)
}

// send seals m and sends it: to dst by unicast, or when dst is the zero
// AddrPort to the group on interface ifindex.
func (e *Engine) send(m *wire.Message, dst netip.AddrPort, ifindex int) error {
	bp := sendBufs.Get().(*[]byte)
	defer sendBufs.Put(bp)
	b, err := wire.AppendSeal((*bp)[:0], e.kr, m, nil)
	if err != nil {
		e.ctr.sendErrors.Add(1)
		e.log.limited(limitSend, levelWarn, "cannot seal a %s: %v", m.Type, err)
		return err
	}
	*bp = b
	to := dst.String()
	if dst.IsValid() {
		err = e.tr.unicast(b, dst)
	} else {
		to = netip.AddrPortFrom(e.group, uint16(e.cfg.Port)).String()
		err = e.tr.multicast(b, ifindex)
	}
	if err != nil {
		e.ctr.sendErrors.Add(1)
		e.log.limited(limitSend, levelWarn, "sending a %s to %s: %v", m.Type, to, err)
		return err
	}
	e.ctr.sent.Add(1)
	return nil
}

var sendBufs = sync.Pool{New: func() any { b := make([]byte, 0, wire.MaxDatagram); return &b }}

// newQueryID returns a fresh random query id.
func newQueryID() wire.QueryID {
	var q wire.QueryID
	for q.IsZero() {
		rand.Read(q[:])
	}
	return q
}

// backgroundQuery multicasts a query that belongs to no lookup; its answers
// fill the table.
func (e *Engine) backgroundQuery(now time.Time) {
	q := newQueryID()
	if ok, _ := e.pending.expiring(q, now.Add(queryGrace)); ok {
		e.multicast(wire.TypeQuery, q, 0, nil)
	}
}
