package mcgossip

import (
	"cmp"
	"net"
	"net/netip"
	"strconv"
	"time"

	"github.com/mcgossip/go-discover-mcgossip/provider/mcgossip/wire"
)

// PeerState is the state of a peer in an engine's table.
type PeerState uint8

// Peer states.
const (
	// PeerAlive: heard from within three intervals.
	PeerAlive PeerState = iota + 1
	// PeerExpired: silent for three intervals; forgotten.
	PeerExpired
	// PeerLeft: sent a signed leave; forgotten at once.
	PeerLeft
)

// String returns "alive", "expired" or "left".
func (s PeerState) String() string {
	switch s {
	case PeerAlive:
		return "alive"
	case PeerExpired:
		return "expired"
	case PeerLeft:
		return "left"
	}
	return "state(" + strconv.Itoa(int(s)) + ")"
}

// Peer is another engine that shares the group and the cookie.
type Peer struct {
	// ID is the peer's random instance id (one per engine run).
	ID wire.InstanceID
	// Addr is the address the peer advertises, or its datagrams' source.
	Addr netip.Addr
	// Port is the port the peer advertises; 0 for none.
	Port uint16
	// Name is the node name the peer advertises, if any.
	Name string
	// LastSeen is when the peer was last heard from.
	LastSeen time.Time
	// State is the peer's state.
	State PeerState
}

// String returns "ip", or "ip:port" when the peer advertises a port (the
// form go-discover returns, built with net.JoinHostPort).
func (p Peer) String() string {
	if p.Port == 0 {
		return p.Addr.String()
	}
	return net.JoinHostPort(p.Addr.String(), strconv.Itoa(int(p.Port)))
}

// comparePeers orders peers by address, port, then id.
func comparePeers(a, b Peer) int {
	if c := a.Addr.Compare(b.Addr); c != 0 {
		return c
	}
	if c := cmp.Compare(a.Port, b.Port); c != 0 {
		return c
	}
	for i := range a.ID {
		if c := cmp.Compare(a.ID[i], b.ID[i]); c != 0 {
			return c
		}
	}
	return 0
}

// EventKind is the kind of an Event.
type EventKind uint8

// Event kinds.
const (
	// EventJoin: a peer is new, or back after it expired.
	EventJoin EventKind = iota + 1
	// EventUpdate: a live peer changed its address, port or name.
	EventUpdate
	// EventLeave: a peer sent a signed leave.
	EventLeave
	// EventExpire: a peer was silent for three intervals.
	EventExpire
)

// String returns "join", "update", "leave" or "expire".
func (k EventKind) String() string {
	switch k {
	case EventJoin:
		return "join"
	case EventUpdate:
		return "update"
	case EventLeave:
		return "leave"
	case EventExpire:
		return "expire"
	}
	return "event(" + strconv.Itoa(int(k)) + ")"
}

// Event is a change in an engine's peer table.
type Event struct {
	// Kind is what happened.
	Kind EventKind
	// Peer is the peer as it is after the change.
	Peer Peer
	// Time is when the engine saw the change.
	Time time.Time
}

// replayWindow is a sliding window over one sender's counters (as IPsec's
// anti-replay window): the highest counter seen and a bitmap of the 64
// counters up to it.
type replayWindow struct {
	max  uint64
	bits uint64 // bit i: counter max-i was seen
}

// replayWindowSize is how far below the highest counter a late datagram may
// still be accepted.
const replayWindowSize = 64

// accept records counter c and reports whether it is fresh (not seen, not
// older than the window) and whether it is the newest so far.
func (w *replayWindow) accept(c uint64) (fresh, newest bool) {
	switch {
	case c > w.max:
		if d := c - w.max; d >= replayWindowSize {
			w.bits = 1
		} else {
			w.bits = w.bits<<d | 1
		}
		w.max = c
		return true, true
	case w.max-c >= replayWindowSize:
		return false, false
	}
	bit := uint64(1) << (w.max - c)
	if w.bits&bit != 0 {
		return false, false
	}
	w.bits |= bit
	return true, false
}

// member is an entry of the table: a peer, a candidate (announced, not
// yet verified), an observer (only queries), or a tombstone. Every entry
// keeps its sender's replay window until it is forgotten, which happens
// rememberFor after it was last seen (or left, or expired).
//
// A member becomes a peer (PeerAlive) only by answering a query of this
// engine: an answer echoes a fresh random query id, so a replayed datagram
// can never make one. An announce from an unknown (or expired) instance
// makes it a candidate, which the engine verifies with a unicast query.
type member struct {
	id    wire.InstanceID
	addr  netip.Addr
	port  uint16
	state PeerState // 0: an observer or a candidate, never a peer
	name  string
	win   replayWindow
	// verifySent is when the last verification query went to a candidate.
	verifySent time.Time
	// lastSeen is the local time of the newest datagram, which is what
	// keeps a peer alive.
	lastSeen time.Time
	// lastMsg is the sender's clock in the newest datagram, unix ms.
	lastMsg int64
	// goneAt is when the peer left or expired.
	goneAt time.Time
	// reviveAfter, for an expired peer, is the sender's clock (unix ms) at
	// the moment it expired: only datagrams sent later bring it back, so a
	// replayed older one cannot.
	reviveAfter int64
}

// expiresAt is when a live member expires unless it is heard from again:
// just after expireAfter of silence.
func (m *member) expiresAt(expireAfter time.Duration) time.Time {
	return m.lastSeen.Add(expireAfter + time.Millisecond)
}

// peer returns the member as a Peer.
func (m *member) peer() Peer {
	return Peer{ID: m.id, Addr: m.addr, Port: m.port, Name: m.name, LastSeen: m.lastSeen, State: m.state}
}
