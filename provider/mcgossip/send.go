package mcgossip

import (
	"crypto/rand"
	"errors"
	"net/netip"
	"sync"
	"time"

	"github.com/mcgossip/go-discover-mcgossip/provider/mcgossip/wire"
)

// Sending. Every announce, query and answer carries the endpoints where
// this engine receives unicast, sealed: for each family in use, the
// unicast socket's port and the address of the interface the datagram
// leaves on (a multicast is sealed once per interface, and goes to the
// group of each family up there), or for an answer, of the interface the
// query came in on. With if_addr set, the endpoint of its family is
// always if_addr. Receivers reply only to sealed endpoints, of the family
// a datagram reached them on.

// errNoInterfaceUp is the error of a multicast that found no interface up
// with an address to seal.
var errNoInterfaceUp = errors.New("no interface is up with an address of the families in use")

// message returns a message of type t from this engine, with the next
// counter and no endpoint yet.
func (e *Engine) message(t wire.Type, q wire.QueryID, now time.Time) wire.Message {
	m := wire.Message{Type: t, Instance: e.id, Time: now, Counter: e.counter.Add(1), Query: q}
	if t == wire.TypeAnnounce || t == wire.TypeAnswer {
		m.Advertise, m.Port, m.Name, m.Interval = e.cfg.Advertise, e.cfg.AdvertisePort, e.cfg.Name, e.cfg.Interval
	}
	return m
}

// endpoint returns the endpoint to seal for the local address a of the
// family of IPv6 when v6, else IPv4: if_addr when it is of that family,
// else a (without zone), with that family's unicast port; ok is false
// when the family is not in use or a is not an address of it.
func (e *Engine) endpoint(a netip.Addr, v6 bool) (netip.AddrPort, bool) {
	if ia := e.cfg.IfAddr; ia.IsValid() && !ia.IsUnspecified() && ia.Is6() == v6 {
		a = ia
	}
	a = a.WithZone("")
	port := e.tr.localPort(v6)
	if port == 0 || !a.IsValid() || a.IsUnspecified() || a.Is6() != v6 || a.Is4In6() {
		return netip.AddrPort{}, false
	}
	return netip.AddrPortFrom(a, port), true
}

// sealEndpoints sets m's endpoints for the interface ifc: of each family
// up there that has an address. It reports whether it set one.
func (e *Engine) sealEndpoints(m *wire.Message, ifc ifaceInfo) bool {
	if ifc.fams.has(false) {
		m.Endpoint4, _ = e.endpoint(ifc.addr, false)
	}
	if ifc.fams.has(true) {
		m.Endpoint6, _ = e.endpoint(ifc.addr6, true)
	}
	return m.Endpoint4.IsValid() || m.Endpoint6.IsValid()
}

// sealReplyEndpoints sets the endpoints of m, a reply to a datagram that
// came in at via, for each family in use: the local address it was sent
// to (unicast) when of that family, else the address of the interface it
// came in on, else of any interface. It reports whether it set one.
func (e *Engine) sealReplyEndpoints(m *wire.Message, via arrival) bool {
	ifs := e.tr.interfaces()
	for _, v6 := range []bool{false, true} {
		if !e.cfg.Family.has(v6) {
			continue
		}
		ep, ok := e.endpoint(via.local, v6)
		for i := 0; !ok && i < len(ifs); i++ {
			if ifs[i].index == via.ifindex {
				ep, ok = e.endpoint(ifs[i].addrOf(v6), v6)
			}
		}
		for i := 0; !ok && i < len(ifs); i++ {
			if ifs[i].up() {
				ep, ok = e.endpoint(ifs[i].addrOf(v6), v6)
			}
		}
		if v6 {
			m.Endpoint6 = ep
		} else {
			m.Endpoint4 = ep
		}
	}
	return m.Endpoint4.IsValid() || m.Endpoint6.IsValid()
}

// multicast sends a message of type t to the group (each family's) on
// every interface that is up, sealed for each with that interface's
// endpoints (a leave carries none). window and seen go into a query (0
// and nil: none).
func (e *Engine) multicast(t wire.Type, q wire.QueryID, window time.Duration, seen *wire.SeenFilter) error {
	now := e.now()
	if e.mcheck.sending(now) {
		e.wakeLoop() // the loop arms the check that our multicast loops back
	}
	var errs []error
	sent := false
	for _, ifc := range e.tr.interfaces() {
		if !ifc.up() {
			continue
		}
		m := e.message(t, q, now)
		m.Window = window
		if seen != nil {
			m.Seen = *seen
		}
		if t != wire.TypeLeave && !e.sealEndpoints(&m, ifc) {
			e.log.limited(limitNoAddr, levelWarn, "interface %s has no %s, so nothing is sent there (peers could not reply); give it one, or set if_addr",
				ifc.name, e.missingAddr(ifc))
			continue
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

// missingAddr says which address ifc lacks, for a log line.
func (e *Engine) missingAddr(ifc ifaceInfo) string {
	switch {
	case !ifc.fams.has(true):
		return "IPv4 address"
	case ifc.pending6 && !ifc.fams.has(false):
		return "IPv6 address yet (DAD is still running: ip -6 addr show dev " + ifc.name + " shows it tentative)"
	case !ifc.fams.has(false):
		return "IPv6 address"
	}
	return "IPv4 or IPv6 address"
}

// answer sends the answer j, sealed with the endpoint of the interface the
// query came in on, to the query's sealed endpoint.
func (e *Engine) answer(j answerJob) {
	now := e.now()
	m := e.message(wire.TypeAnswer, j.q, now)
	m.Members = e.members(now, j.querier)
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

// reply seals m with the endpoints for via and unicasts it to dst.
func (e *Engine) reply(m *wire.Message, dst netip.AddrPort, via arrival) {
	if !e.sealReplyEndpoints(m, via) {
		e.ctr.sendErrors.Add(1)
		e.log.limited(limitNoAddr, levelWarn, "cannot send a %s to %s: no interface has an address to reply from; set if_addr", m.Type, dst)
		return
	}
	e.send(m, dst, 0)
}

// send seals m and sends it: to dst by unicast, or when dst is the zero
// AddrPort to the group on interface ifindex.
func (e *Engine) send(m *wire.Message, dst netip.AddrPort, ifindex int) error {
	bp := sendBufs.Get().(*[]byte)
	defer sendBufs.Put(bp)
	b, err := wire.AppendSeal((*bp)[:0], e.kr.Load(), m, nil)
	if err != nil {
		e.ctr.sendErrors.Add(1)
		e.log.limited(limitSend, levelWarn, "cannot seal a %s: %v", m.Type, err)
		return err
	}
	*bp = b
	if dst.IsValid() {
		err = e.tr.unicast(b, dst)
	} else {
		err = e.tr.multicast(b, ifindex)
	}
	if err != nil {
		to := dst.String()
		if !dst.IsValid() {
			to = e.groupsDesc()
		}
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
