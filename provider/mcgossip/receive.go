package mcgossip

import (
	"net/netip"
	"strconv"
	"time"

	"github.com/mcgossip/go-discover-mcgossip/provider/mcgossip/wire"
)

// handle is the receive path; it runs for every datagram, on the
// transport's reader goroutines. It reads one way: socket checks, wire.Open
// (which checks the header before any crypto), self and time checks, the
// replay store, then the message goes to the table, the pending registry or
// the answerer. A foreign or garbage datagram costs a few compares and a
// counter, no allocation.
//
// Identity and every reply address come from the sealed body only. The UDP
// source is never a destination: an answer goes to the query's sealed
// endpoint, a verification query to the announcer's. A source other than
// the sealed endpoint is counted (Stats.SourceMismatch) and logged at
// debug, not dropped: NAT and policy routing change sources legitimately,
// and since nothing is sent to a source, a replay from elsewhere gains its
// sender nothing a replay from the right source would not.
func (e *Engine) handle(p *packet) {
	e.ctr.received.Add(1)
	if p.group && (!p.dst.IsValid() || p.dst != e.groupOf(p.dst)) {
		e.drop(dropNotGroup, p)
		return
	}
	var m wire.Message
	if err := wire.Open(e.kr.Load(), p.data, &m); err != nil {
		e.drop(wireDrop(err), p)
		return
	}
	if m.Instance == e.id {
		e.ctr.loopback.Add(1)
		if p.group {
			e.mcheck.cameBack(p.dst.Is6(), p.ifindex)
		}
		return
	}
	// Answers come by unicast; announces and leaves by multicast; queries
	// either way (a verification query is unicast).
	if (m.Type == wire.TypeAnswer && p.group) || (!p.group && (m.Type == wire.TypeAnnounce || m.Type == wire.TypeLeave)) {
		e.drop(dropWrongSocket, p)
		return
	}
	now := e.now()
	if d := now.Sub(m.Time); d > replayTimeWindow || d < -replayTimeWindow {
		e.drop(dropStale, p)
		return
	}
	var ep netip.AddrPort
	if m.Type != wire.TypeLeave {
		var ok bool
		if ep, ok = sealedEndpoint(&m, p); !ok {
			e.drop(dropNoEndpoint, p)
			return
		}
		if src := p.src.Addr(); src.IsValid() && !src.IsUnspecified() && p.src != ep {
			e.ctr.sourceMismatch.Add(1)
			if e.log.allow(limitMismatch, levelDebug) { // before the arguments, which allocate
				e.log.logf(levelDebug, fields("type", m.Type, "id", m.Instance, "endpoint", ep, "src", p.src),
					"a %s of %s sealed with the endpoint %s came from %s (NAT, policy routing, or a replay from elsewhere); only the sealed endpoint is used; logged at most once a minute",
					m.Type, shortID(m.Instance), ep, p.src)
			}
		}
	}
	newest, r := e.replay.accept(m.Instance, m.Counter, m.Type == wire.TypeLeave, now)
	if r == dropNone {
		via := arrival{ifindex: p.ifindex}
		if !p.group {
			via.local = p.dst
		}
		r = e.dispatch(&m, ep, via, newest, now)
	}
	if r != dropNone {
		e.drop(r, p)
		return
	}
	e.ctr.accepted.Add(1)
	if p.group {
		e.mcheck.peerHeard()
	}
}

// dispatch hands a fresh authentic message on, and returns why it is
// dropped, or dropNone. ep is its sealed endpoint, newest whether it is the
// newest datagram of its sender: only those change the table.
func (e *Engine) dispatch(m *wire.Message, ep netip.AddrPort, via arrival, newest bool, now time.Time) dropReason {
	switch m.Type {
	case wire.TypeAnnounce:
		if !newest {
			return dropOlder
		}
		a := e.advertOf(m, ep, via.ifindex)
		live, earlier := e.table.heartbeat(&a, now)
		if !live && e.verify.add(m.Instance, ep, via, now) {
			earlier = true // a candidate: ask it, by unicast, to prove it is alive
			e.logVerify(&a, ep)
		}
		if earlier {
			e.wakeLoop()
		}
	case wire.TypeAnswer:
		pq, ok := e.pending.get(m.Query)
		if !ok {
			return dropUnsolicited
		}
		if newest {
			a := e.advertOf(m, ep, via.ifindex)
			earlier, r := e.table.answered(&a, now)
			if r != dropNone {
				return r
			}
			if earlier {
				e.wakeLoop()
			}
		}
		if pq.owner != nil {
			// An older answer (the sender's newer heartbeat was read
			// first, on the other socket) changes nothing in the table;
			// the lookup counts its sender found only if the table has it,
			// else asks again, and the newer answer makes it a peer.
			live := newest || e.table.has(m.Instance)
			pq.owner.answered(m.Instance, pq.round, m.Window, int(min(m.Members, maxInstances)), now, live)
		}
	case wire.TypeQuery:
		if !e.cfg.Announce {
			return dropNone
		}
		if m.Seen.Has(m.Query, e.id) {
			e.ctr.silenced.Add(1)
			return dropNone
		}
		earlier, r := e.answers.schedule(m.Query, m.Instance, m.Window, e.table.len()+1, ep, via, now)
		if earlier {
			e.wakeLoop()
		}
		return r
	case wire.TypeLeave:
		if newest {
			e.table.left(m.Instance, m.Counter, now)
		}
	}
	return dropNone
}

// sealedEndpoint returns the endpoint sealed in m of the address family p
// arrived on (a link-local IPv6 one scoped to the interface it came in on).
func sealedEndpoint(m *wire.Message, p *packet) (netip.AddrPort, bool) {
	a := p.dst
	if !a.IsValid() {
		a = p.src.Addr()
	}
	if !a.Is6() || a.Is4In6() {
		return m.Endpoint4, m.Endpoint4.IsValid()
	}
	ep := netip.AddrPortFrom(scoped(m.Endpoint6.Addr(), p.ifindex), m.Endpoint6.Port())
	return ep, ep.IsValid()
}

// scoped returns a, zoned by the interface index ifindex when it is an
// IPv6 link-local address (which means nothing without one).
func scoped(a netip.Addr, ifindex int) netip.Addr {
	if !a.Is6() || !a.IsLinkLocalUnicast() || ifindex == 0 {
		return a
	}
	return a.WithZone(strconv.Itoa(ifindex))
}

// advertOf returns what m says about its sender, whose sealed endpoint of
// the family m arrived on (at interface ifindex) is ep. The address lookups
// list is the advertised one; else, when m has an endpoint of both
// families (a dual-stack sender), that of the family prefer names, so that
// the sender is listed by one address whichever family each of its
// datagrams comes by; else ep's.
func (e *Engine) advertOf(m *wire.Message, ep netip.AddrPort, ifindex int) advert {
	a := advert{id: m.Instance, counter: m.Counter, addr: ep.Addr(), port: m.Port, name: m.Name,
		interval: min(max(m.Interval, MinInterval), MaxInterval)}
	switch {
	case m.Advertise.IsValid():
		a.addr = m.Advertise
	case !m.Endpoint4.IsValid() || !m.Endpoint6.IsValid():
	case e.cfg.Prefer == FamilyIPv6:
		a.addr = scoped(m.Endpoint6.Addr(), ifindex)
	default:
		a.addr = m.Endpoint4.Addr()
	}
	return a
}

// drop counts a dropped datagram and logs it, at most once a minute per
// reason.
func (e *Engine) drop(r dropReason, p *packet) {
	e.heard.note(r, p.src.Addr(), e.ctr.dropped[r].Add(1))
	if d := drops[r]; e.log.allow(int(r), d.level) {
		e.log.logf(d.level, fields("reason", d.name, "src", p.src),
			"dropped a datagram from %s: %s; further drops of this kind are only counted for a minute", p.src, d.why)
	}
}
