package libcluster

import (
	"net/netip"
	"time"
)

// The node table's bounds: a heartbeat costs nothing to forge, so what one
// source can add to the table (and make the engine check) is limited.
const (
	// maxNodes bounds the nodes known at once.
	maxNodes = 1024
	// maxPerSource bounds the nodes known at once from one source address.
	maxPerSource = 64
	// sourceBurst new node names a source may bring at once, then one per
	// sourceEvery.
	sourceBurst = 16
	sourceEvery = time.Second
)

// nodeKey identifies a node of the table: its name and the address its
// heartbeats come from (a name with a host name may be heard from more
// than one address; each is checked on its own).
type nodeKey struct {
	node Node
	addr netip.Addr
}

// nodeEntry is what the engine knows of a node.
type nodeEntry struct {
	key         nodeKey
	first, last time.Time // first and last heartbeat
	listed      bool      // Discover returns it
	rejected    bool      // its last conclusive check said no
	port        uint16    // distribution port, 0 if unknown
	portAt      time.Time // when port was learnt from epmd (no cookie)
	retryAt     time.Time // no epmd lookup before then (no cookie)
	checking    bool      // a check is running or waiting to run
	failLogged  bool      // a failed check was logged
}

// source is what the engine keeps per source address, to limit how many
// new node names it brings.
type source struct {
	nodes  int       // entries from it
	tokens float64   // new names it may bring now
	at     time.Time // when tokens was computed
}

// allow reports whether src may add a node now, and takes a token if so.
// e.mu is held.
func (e *Engine) allow(src netip.Addr, now time.Time) bool {
	s := e.sources[src]
	if s == nil {
		s = &source{tokens: sourceBurst, at: now}
		e.sources[src] = s
	}
	s.tokens = min(sourceBurst, s.tokens+now.Sub(s.at).Seconds()/sourceEvery.Seconds())
	s.at = now
	if s.nodes >= maxPerSource || s.tokens < 1 {
		return false
	}
	s.tokens--
	s.nodes++
	return true
}

// heard records a heartbeat of node from addr (its checked dial address).
func (e *Engine) heard(node Node, addr netip.Addr, now time.Time) {
	k := nodeKey{node, addr}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return
	}
	en := e.nodes[k]
	if en == nil {
		switch {
		case len(e.nodes) >= maxNodes:
			e.stats.Dropped["full"]++
			e.log.limited("drop full", levelWarn, fields("node", string(node), "addr", addr, "reason", "full"), "dropped a heartbeat of %s from %s: %d nodes known already", node, addr, maxNodes)
			return
		case !e.allow(addr, now):
			e.stats.Dropped["rate"]++
			e.log.limited("drop rate", levelWarn, fields("node", string(node), "addr", addr, "reason", "rate"), "dropped a heartbeat of %s from %s: too many new node names from that address (at most %d at once, %d known)",
				node, addr, sourceBurst, maxPerSource)
			return
		}
		en = &nodeEntry{key: k, first: now}
		e.nodes[k] = en
		e.log.logf(levelDebug, fields("node", string(node), "addr", addr), "heard node %s at %s", node, addr)
		select {
		case e.wake <- struct{}{}:
		default:
		}
	}
	e.stats.Heartbeats++
	en.last = now
	e.update(en, now)
}

// update lists en, or starts the check it needs. e.mu is held.
func (e *Engine) update(en *nodeEntry, now time.Time) {
	if en.checking {
		return
	}
	switch {
	case e.checker != nil:
		// The checker answers from its cache until a recheck is due.
	case !e.cfg.DistPort:
		e.list(en, now, "heard, no erlang_cookie to check")
		return
	case en.port != 0 && now.Sub(en.portAt) < recheck, now.Before(en.retryAt):
		return
	}
	en.checking = true
	e.wg.Add(1)
	go e.check(en.key)
}

// list lists en, with a join event and a log line, unless it is listed.
// e.mu is held.
func (e *Engine) list(en *nodeEntry, now time.Time, why string) {
	en.rejected = false
	if en.listed {
		return
	}
	en.listed = true
	e.log.logf(levelInfo, fields("node", string(en.key.node), "addr", en.key.addr, "reason", why), "node %s at %s listed: %s", en.key.node, en.key.addr, why)
	e.emitLocked(Event{Kind: EventJoin, Node: en.info(), Time: now})
	e.notifyLocked()
}

// unlist takes en off the list after a check said no, with a reject event
// and a log line the first time.
func (e *Engine) unlist(en *nodeEntry, now time.Time, why error) {
	if en.rejected && !en.listed {
		return
	}
	en.rejected = true
	en.listed = false
	e.log.logf(levelInfo, fields("node", string(en.key.node), "addr", en.key.addr, "reason", why), "node %s at %s not listed: %v", en.key.node, en.key.addr, why)
	e.emitLocked(Event{Kind: EventReject, Node: en.info(), Time: now, Err: why})
	e.notifyLocked()
}

// expireLoop forgets the nodes silent for Config.Expire, waking at the
// next such moment (or when a new node is heard), until Close.
func (e *Engine) expireLoop() {
	defer e.wg.Done()
	t := time.NewTimer(time.Hour)
	defer t.Stop()
	for {
		next := e.expire(time.Now())
		t.Reset(time.Until(next))
		select {
		case <-e.ctx.Done():
			return
		case <-t.C:
		case <-e.wake:
		}
	}
}

// expire forgets the nodes silent since now-Expire and returns when the
// next one would be due (an hour from now with none).
func (e *Engine) expire(now time.Time) time.Time {
	e.mu.Lock()
	defer e.mu.Unlock()
	next := now.Add(time.Hour)
	for k, en := range e.nodes {
		due := en.last.Add(e.cfg.Expire)
		if due.After(now) {
			next = earlier(next, due)
			continue
		}
		if en.checking {
			// Its check is still running: forget it once it ends.
			next = earlier(next, now.Add(e.cfg.CheckTimeout))
			continue
		}
		delete(e.nodes, k)
		if s := e.sources[k.addr]; s != nil {
			s.nodes--
		}
		if en.listed {
			e.log.logf(levelInfo, fields("node", string(k.node), "addr", k.addr, "silent_for", e.cfg.Expire), "node %s at %s forgotten: no heartbeat for %v", k.node, k.addr, e.cfg.Expire)
			e.emitLocked(Event{Kind: EventExpire, Node: en.info(), Time: now})
			e.notifyLocked()
		}
	}
	for a, s := range e.sources {
		if s.nodes == 0 && s.tokens+now.Sub(s.at).Seconds()/sourceEvery.Seconds() >= sourceBurst {
			delete(e.sources, a)
		} else {
			next = earlier(next, now.Add(sourceBurst*sourceEvery))
		}
	}
	return next
}

// earlier returns the earlier of a and b.
func earlier(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}
