package mcgossip

import (
	"cmp"
	"log/slog"
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
	// PeerAlive: heard from within three of its intervals.
	PeerAlive PeerState = iota + 1
	// PeerExpired: silent for three of its intervals; forgotten.
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
	// Addr is the address the peer advertises, else the address of the
	// unicast endpoint sealed in its datagrams (never their UDP source).
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

// LogValue makes p a group of log fields (slog.LogValuer), named as in the
// CLI's JSON: id (the instance id, hex), addr (without the port), port
// and name when the peer advertises them. slog.Any("peer", p) logs
// peer.id, peer.addr, ...
func (p Peer) LogValue() slog.Value {
	attrs := make([]slog.Attr, 0, 4)
	attrs = append(attrs, slog.String("id", p.ID.String()), slog.String("addr", p.Addr.String()))
	if p.Port != 0 {
		attrs = append(attrs, slog.Int("port", int(p.Port)))
	}
	if p.Name != "" {
		attrs = append(attrs, slog.String("name", p.Name))
	}
	return slog.GroupValue(attrs...)
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
	// EventExpire: a peer was silent for three of its intervals.
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
