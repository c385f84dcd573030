package mcgossip

import (
	"sync/atomic"

	"github.com/mcgossip/go-discover-mcgossip/provider/mcgossip/wire"
)

// Drop reasons, as counted in Stats.Dropped. The first eight are the wire
// codec's (wire.DropReasons); the others are the engine's.
const (
	dropShort = iota
	dropMagic
	dropVersion
	dropType
	dropTooLarge
	dropUnknownKey
	dropAuth
	dropBody
	dropNotGroup
	dropStale
	dropReplay
	dropLeft
	dropDead
	dropUnsolicited
	dropWrongSocket
	dropTableFull
	dropBacklog
	dropNoSource
	dropOther
	numDrops
)

// dropNames are the Stats.Dropped keys, by drop reason.
var dropNames = [numDrops]string{
	dropShort:       "short",
	dropMagic:       "magic",
	dropVersion:     "version",
	dropType:        "type",
	dropTooLarge:    "too_large",
	dropUnknownKey:  "unknown_key",
	dropAuth:        "auth",
	dropBody:        "body",
	dropNotGroup:    "not_group",
	dropStale:       "stale",
	dropReplay:      "replay",
	dropLeft:        "left",
	dropDead:        "dead",
	dropUnsolicited: "unsolicited",
	dropWrongSocket: "wrong_socket",
	dropTableFull:   "table_full",
	dropBacklog:     "answer_backlog",
	dropNoSource:    "no_source",
	dropOther:       "other",
}

// dropInfo says, per drop reason, how loud its log line is and what it
// probably means.
var dropInfo = [numDrops]struct {
	level string
	why   string
}{
	dropShort:       {levelWarn, "truncated datagram"},
	dropMagic:       {levelDebug, "not an mcgossip datagram (another protocol, such as libcluster, uses this group and port)"},
	dropVersion:     {levelInfo, "unsupported mcgossip protocol version (a newer or older node)"},
	dropType:        {levelInfo, "unknown message type (a newer node)"},
	dropTooLarge:    {levelWarn, "oversized datagram"},
	dropUnknownKey:  {levelDebug, "sealed with another key (another cluster with another cookie shares this group)"},
	dropAuth:        {levelWarn, "authentication failed (forged or corrupted datagram with our key id)"},
	dropBody:        {levelWarn, "malformed body in an authentic datagram"},
	dropNotGroup:    {levelDebug, "not addressed to our group"},
	dropStale:       {levelWarn, "timestamp more than 30s away from our clock (replayed datagram, or clock skew)"},
	dropReplay:      {levelDebug, "duplicate or replayed datagram"},
	dropLeft:        {levelDebug, "datagram from a peer that has left"},
	dropDead:        {levelDebug, "old datagram from a peer that expired (replayed, or delayed)"},
	dropUnsolicited: {levelDebug, "answer to no query of ours (late, or replayed)"},
	dropWrongSocket: {levelWarn, "message type arrived on the wrong socket (answers must be unicast, the rest multicast)"},
	dropTableFull:   {levelWarn, "peer table full"},
	dropBacklog:     {levelWarn, "too many queries to answer at once"},
	dropNoSource:    {levelWarn, "no source address to answer"},
	dropOther:       {levelWarn, "unexpected error"},
}

// dropReason maps an error of wire.Open to its drop reason.
func dropReason(err error) int {
	switch wire.DropReason(err) {
	case "short":
		return dropShort
	case "magic":
		return dropMagic
	case "version":
		return dropVersion
	case "type":
		return dropType
	case "too_large":
		return dropTooLarge
	case "unknown_key":
		return dropUnknownKey
	case "auth":
		return dropAuth
	case "body":
		return dropBody
	}
	return dropOther
}

// Stats are an engine's counters since it started.
type Stats struct {
	// Received counts the datagrams read from the sockets.
	Received uint64
	// Accepted counts the datagrams that opened, were fresh, and were used.
	Accepted uint64
	// Loopback counts this engine's own multicast datagrams that came back
	// (proof that multicast works on the interface).
	Loopback uint64
	// Sent counts the datagrams sent, SendErrors the sends that failed.
	Sent, SendErrors uint64
	// Dropped counts the dropped datagrams by reason; every reason is
	// present, zero or not. The reasons are wire.DropReasons() and
	// not_group, stale, replay, left, dead, unsolicited, wrong_socket,
	// table_full, answer_backlog and other.
	Dropped map[string]uint64
	// EventsDropped counts events not delivered because a subscriber's
	// channel was full.
	EventsDropped uint64
	// Peers is the number of live peers now.
	Peers int
}

// DroppedTotal returns the sum of s.Dropped.
func (s Stats) DroppedTotal() uint64 {
	var n uint64
	for _, v := range s.Dropped {
		n += v
	}
	return n
}

// counters are the atomic counters behind Stats.
type counters struct {
	received, accepted, loopback, sent, sendErrors, eventsDropped atomic.Uint64
	dropped                                                       [numDrops]atomic.Uint64
}
