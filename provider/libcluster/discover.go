package libcluster

import (
	"cmp"
	"context"
	"net/netip"
	"slices"
	"strconv"
	"time"
)

// listenFor is how long an engine listens before a lookup without expect
// may end: a whole heartbeat gap, and a margin for the network and the
// BEAM's timers.
const listenFor = HeartbeatGap + 250*time.Millisecond

// NodeInfo is what an Engine knows of a node.
type NodeInfo struct {
	// Node is the node's name, from its heartbeat.
	Node Node
	// Addr is the source address of its heartbeats.
	Addr netip.Addr
	// Port is its distribution port, from epmd; 0 when unknown (without a
	// cookie and without dist_port epmd is not asked).
	Port uint16
	// FirstSeen and LastSeen are the times of its first and last
	// heartbeat.
	FirstSeen, LastSeen time.Time
	// Listed reports that Discover returns it.
	Listed bool
}

// String returns "node@host at addr".
func (n NodeInfo) String() string { return string(n.Node) + " at " + n.Addr.String() }

// NodeList is a list of nodes, as Discover and Nodes return them.
type NodeList []NodeInfo

func (en *nodeEntry) info() NodeInfo {
	return NodeInfo{Node: en.key.node, Addr: en.key.addr, Port: en.port, FirstSeen: en.first, LastSeen: en.last, Listed: en.listed}
}

// EventKind is what happened to a node.
type EventKind uint8

// The kinds of events.
const (
	// EventJoin: the node is listed (heard without a cookie to check, or
	// its cookie proved).
	EventJoin EventKind = iota + 1
	// EventReject: a check said the node does not share the cookie (or is
	// not the node its heartbeat named); it is not listed.
	EventReject
	// EventExpire: a listed node sent no heartbeat for Config.Expire and
	// is forgotten.
	EventExpire
)

// String returns "join", "reject" or "expire".
func (k EventKind) String() string {
	switch k {
	case EventJoin:
		return "join"
	case EventReject:
		return "reject"
	case EventExpire:
		return "expire"
	}
	return "EventKind(" + strconv.Itoa(int(k)) + ")"
}

// Event is a change of the node table.
type Event struct {
	// Kind is what happened: the node was listed, rejected or forgotten.
	Kind EventKind
	// Node is the node as the table holds it after the change (Listed
	// false for a reject or an expiry).
	Node NodeInfo
	// Time is when it happened.
	Time time.Time
	// Err says why, for EventReject. It never holds the cookie.
	Err error
}

// eventBuffer is how many events a subscriber may lag behind; later ones
// are dropped for it.
const eventBuffer = 256

type subscriber struct{ ch chan Event }

// Events returns a channel of the table's changes and a function that
// ends the subscription (and closes the channel). Events a slow reader
// leaves more than 256 behind are dropped for it. Close closes the
// channel too.
func (e *Engine) Events() (<-chan Event, func()) {
	s := &subscriber{ch: make(chan Event, eventBuffer)}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		close(s.ch)
		return s.ch, func() {}
	}
	e.subs[s] = struct{}{}
	return s.ch, func() {
		e.mu.Lock()
		defer e.mu.Unlock()
		if _, ok := e.subs[s]; ok {
			delete(e.subs, s)
			close(s.ch)
		}
	}
}

// emitLocked sends ev to the subscribers. e.mu is held.
func (e *Engine) emitLocked(ev Event) {
	for s := range e.subs {
		select {
		case s.ch <- ev:
		default:
		}
	}
}

// notifyLocked wakes the running lookups. e.mu is held.
func (e *Engine) notifyLocked() {
	close(e.changed)
	e.changed = make(chan struct{})
}

// Nodes returns every node known, listed or not, sorted by address and
// name.
func (e *Engine) Nodes() NodeList {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.nodesLocked(false)
}

// nodesLocked returns the nodes (only the listed ones if listed), sorted.
func (e *Engine) nodesLocked(listed bool) NodeList {
	var out NodeList
	for _, en := range e.nodes {
		if en.listed || !listed {
			out = append(out, en.info())
		}
	}
	slices.SortFunc(out, func(a, b NodeInfo) int {
		return cmp.Or(a.Addr.Compare(b.Addr), cmp.Compare(a.Node, b.Node))
	})
	return out
}

// DiscoverOption changes one lookup's settings.
type DiscoverOption func(*discoverOptions)

type discoverOptions struct {
	timeout time.Duration
	expect  int
}

// WithTimeout sets the most the lookup blocks (default Config.Timeout).
func WithTimeout(d time.Duration) DiscoverOption {
	return func(o *discoverOptions) { o.timeout = d }
}

// WithExpect makes the lookup return as soon as n nodes are listed, and
// not before unless at the timeout; 0 turns it off (default
// Config.Expect).
func WithExpect(n int) DiscoverOption {
	return func(o *discoverOptions) { o.expect = n }
}

// Discover returns the listed nodes, sorted by address and name. It only
// listens (libcluster answers no query), so it returns:
//   - with expect, as soon as that many nodes are listed;
//   - without, once the engine has listened for a whole heartbeat gap
//     (5 s from its start; at once for an engine that has run that long)
//     and no check is running;
//   - at the timeout at the latest, with what is listed then.
//
// It fails only when ctx ends (with ctx's error) or the engine is closed.
func (e *Engine) Discover(ctx context.Context, opts ...DiscoverOption) (NodeList, error) {
	o := discoverOptions{timeout: e.cfg.Timeout, expect: e.cfg.Expect}
	for _, opt := range opts {
		opt(&o)
	}
	if o.timeout <= 0 {
		o.timeout = e.cfg.Timeout
	}
	timeout := time.NewTimer(o.timeout)
	defer timeout.Stop()
	listenedAt := e.started.Add(listenFor)
	if e.cfg.listen > 0 {
		listenedAt = e.started.Add(e.cfg.listen)
	}
	var listened <-chan time.Time
	if d := time.Until(listenedAt); o.expect == 0 && d > 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		listened = t.C
	}
	for {
		e.mu.Lock()
		if e.closed {
			e.mu.Unlock()
			return nil, ErrClosed
		}
		nodes := e.nodesLocked(true)
		pending := false
		for _, en := range e.nodes {
			pending = pending || en.checking
		}
		changed := e.changed
		e.mu.Unlock()
		switch {
		case o.expect > 0 && len(nodes) >= o.expect:
			return nodes, nil
		case o.expect == 0 && listened == nil && !pending:
			return nodes, nil
		}
		select {
		case <-changed:
		case <-listened:
			listened = nil
		case <-timeout.C:
			return nodes, nil
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// Addrs returns what Provider.Addrs returns for the nodes: their distinct
// addresses, sorted, or with distPort the distinct "ip:port" of the nodes
// whose port is known.
func (l NodeList) Addrs(distPort bool) []string {
	type ap = netip.AddrPort
	var aps []ap
	for _, n := range l {
		switch {
		case !distPort:
			aps = append(aps, netip.AddrPortFrom(n.Addr, 0))
		case n.Port != 0:
			aps = append(aps, netip.AddrPortFrom(n.Addr, n.Port))
		}
	}
	slices.SortFunc(aps, func(a, b ap) int { return a.Compare(b) })
	aps = slices.Compact(aps)
	out := make([]string, len(aps))
	for i, a := range aps {
		if distPort {
			out[i] = a.String()
		} else {
			out[i] = a.Addr().String()
		}
	}
	return out
}
