package mcgossip

import (
	"log/slog"

	"github.com/mcgossip/go-discover-mcgossip/provider/mcgossip/wire"
)

// dropReason says why the engine dropped a datagram: a reason of the wire
// codec or one of the engine's own. drops declares each one once, with its
// Stats.Dropped name, its log level and what it probably means.
type dropReason uint8

// The drop reasons; dropNone means the datagram was used.
const (
	dropNone dropReason = iota
	// The codec's (wire.Open), in the order of its checks.
	dropShort
	dropMagic
	dropVersion
	dropType
	dropTooLarge
	dropUnknownKey
	dropAuth
	dropBody
	// The engine's, in the order of the receive path.
	dropNotGroup
	dropWrongSocket
	dropStale
	dropNoEndpoint
	dropReplayFull
	dropLeft
	dropReplay
	dropOlder
	dropUnsolicited
	dropAnswered
	dropBacklog
	dropTableFull
	dropOther
	numDrops
)

// dropInfo describes a drop reason.
type dropInfo struct {
	name  string      // the Stats.Dropped key
	wire  wire.Reason // the codec's reason it stands for, 0 for the engine's own
	level slog.Level  // how loud its (rate-limited) log line is
	why   string      // what it probably means, for the log
}

// drops describes every drop reason.
var drops = [numDrops]dropInfo{
	dropNone:        {"none", 0, levelDebug, "not dropped"},
	dropShort:       {"short", wire.ReasonShort, levelWarn, "truncated datagram"},
	dropMagic:       {"magic", wire.ReasonMagic, levelDebug, "not an mcgossip datagram (another protocol, such as libcluster, uses this group and port)"},
	dropVersion:     {"version", wire.ReasonVersion, levelInfo, "unsupported mcgossip protocol version or extension (a newer or older node)"},
	dropType:        {"type", wire.ReasonType, levelInfo, "unknown message type (a newer node)"},
	dropTooLarge:    {"too_large", wire.ReasonTooLarge, levelWarn, "oversized datagram"},
	dropUnknownKey:  {"unknown_key", wire.ReasonUnknownKey, levelDebug, "sealed with another key (another cluster with another cookie shares this group)"},
	dropAuth:        {"auth", wire.ReasonAuth, levelWarn, "authentication failed (forged or corrupted datagram with our key id)"},
	dropBody:        {"body", wire.ReasonBody, levelWarn, "malformed body in an authentic datagram"},
	dropNotGroup:    {"not_group", 0, levelDebug, "not addressed to our group"},
	dropWrongSocket: {"wrong_socket", 0, levelWarn, "message type arrived on the wrong socket (answers must be unicast; announces and leaves multicast)"},
	dropStale:       {"stale", 0, levelWarn, "timestamp more than 30s away from our clock (replayed datagram, or clock skew)"},
	dropNoEndpoint:  {"no_endpoint", 0, levelInfo, "no sealed endpoint of the address family it arrived on (nowhere to answer)"},
	dropReplayFull:  {"replay_full", 0, levelWarn, "too many senders to keep replay state for; a new one is refused until old ones are forgotten"},
	dropLeft:        {"left", 0, levelDebug, "datagram from an instance that has left"},
	dropReplay:      {"replay", 0, levelDebug, "duplicate or replayed datagram (its counter was seen, or is older than the last 64)"},
	dropOlder:       {"older", 0, levelDebug, "announce older than the newest datagram of its sender (reordered, or replayed): it changes nothing"},
	dropUnsolicited: {"unsolicited", 0, levelDebug, "answer to no query of ours (late, or replayed)"},
	dropAnswered:    {"answered", 0, levelDebug, "query this engine has answered already (sent on two interfaces, or replayed)"},
	dropBacklog:     {"answer_backlog", 0, levelWarn, "too many queries to answer at once"},
	dropTableFull:   {"table_full", 0, levelWarn, "peer table full"},
	dropOther:       {"other", 0, levelWarn, "unexpected error"},
}

// fromWire maps the codec's reasons to drop reasons (dropOther for one this
// engine does not know, which a newer wire package might add).
var fromWire = func() (m [256]dropReason) {
	for i := range m {
		m[i] = dropOther
	}
	for r, d := range drops {
		if d.wire != 0 {
			m[d.wire] = dropReason(r)
		}
	}
	return m
}()

// wireDrop returns the drop reason of an error of wire.Open.
func wireDrop(err error) dropReason { return fromWire[wire.ReasonOf(err)] }

// String returns the reason's Stats.Dropped name.
func (r dropReason) String() string { return drops[r].name }
