package mcgossip

import (
	"log"
	"log/slog"
	"net/netip"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/mcgossip/go-discover-mcgossip/provider/internal/mcast"
	"github.com/mcgossip/go-discover-mcgossip/provider/internal/plog"
)

// The engine's log levels. A *log.Logger gets them as go-discover's
// "[DEBUG]", "[INFO]" and "[WARN]" prefixes.
const (
	levelDebug = slog.LevelDebug
	levelInfo  = slog.LevelInfo
	levelWarn  = slog.LevelWarn
)

// logModule names the engine's lines: the "discover-mcgossip: " of a text
// line, the module attribute of a record.
const logModule = "discover-mcgossip"

// logEvery is how often one rate-limited kind of log line may appear.
const logEvery = time.Minute

// logs writes an engine's log lines to a swappable destination (a
// *log.Logger, or a *slog.Logger for records with fields; see plog), some
// of them rate-limited.
type logs struct {
	out *plog.Logger
	// last holds, per rate-limited kind, the unix nanoseconds of its last
	// line.
	last [numLimited]atomic.Int64
}

// Rate-limited kinds other than the drop reasons (which come first).
const (
	limitSend = int(numDrops) + iota
	// limitMismatch: a datagram's source is not its sealed endpoint.
	limitMismatch
	// limitNoAddr: an interface has no address to seal.
	limitNoAddr
	// limitTransport is the first of the transport's kinds (mcast.Limit).
	limitTransport
	numLimited = limitTransport + int(mcast.NumLimits)
)

// newLogs returns logs that write records to rec when it is not nil, else
// text lines to text; both nil discard.
func newLogs(text *log.Logger, rec *slog.Logger) *logs {
	return &logs{out: plog.New(logModule, text, rec)}
}

// set makes the lines go to rec when it is not nil, else to text.
func (g *logs) set(text *log.Logger, rec *slog.Logger) { g.out.Set(text, rec) }

// enabled reports whether a line at level would be written, so that a
// caller can skip building its fields.
func (g *logs) enabled(level slog.Level) bool { return g.out.Enabled(level) }

// printf writes one line at level, without fields.
func (g *logs) printf(level slog.Level, format string, args ...any) {
	g.out.Logf(level, nil, format, args...)
}

// logf writes one line at level: its message, which must say everything
// (a *log.Logger gets only it), from format and args, and its fields
// attrs, which repeat the message's variable parts for a *slog.Logger.
func (g *logs) logf(level slog.Level, attrs []slog.Attr, format string, args ...any) {
	g.out.Logf(level, attrs, format, args...)
}

// allow reports whether a line of kind at level may be written now, and if
// so records it. At most one line per kind per logEvery passes.
func (g *logs) allow(kind int, level slog.Level) bool {
	if !g.out.Enabled(level) {
		return false
	}
	now := time.Now().UnixNano()
	last := g.last[kind].Load()
	if last != 0 && now-last < int64(logEvery) {
		return false
	}
	return g.last[kind].CompareAndSwap(last, now)
}

// limited writes one line of kind at level unless one was written less
// than logEvery ago.
func (g *logs) limited(kind int, level slog.Level, format string, args ...any) {
	if g.allow(kind, level) {
		g.printf(level, format+" (logged at most once a minute)", args...)
	}
}

// fields returns the fields of a line from key/value pairs (plog.Fields).
// Their keys: peer (a group, Peer.LogValue: peer.id, peer.addr, peer.port,
// peer.name), engine (this engine's instance id), reason and src (a
// dropped datagram's Stats.Dropped name and UDP source), endpoint (a
// sealed endpoint), group (Config.Groups), found, expect, answered,
// queries and took (a lookup's), Heard's counts inline (Heard.LogValue),
// silent_for (an expiry's).
var fields = plog.Fields

// peerText describes p in a text line: "ip" or "ip:port", and its name
// when it has one (the fields say it for records; the text must too).
func peerText(p Peer) string {
	if p.Name == "" {
		return p.String()
	}
	return p.String() + " named " + strconv.Quote(p.Name)
}

// logVerify logs (debug) that the sender of the announce a, not a peer
// yet, is asked at its sealed endpoint ep to prove it is alive: when no
// join follows, its answers do not reach this host.
func (e *Engine) logVerify(a *advert, ep netip.AddrPort) {
	if !e.log.enabled(levelDebug) {
		return
	}
	p := Peer{ID: a.id, Addr: a.addr, Port: a.port, Name: a.name}
	e.log.logf(levelDebug, fields("peer", p, "endpoint", ep),
		"verifying peer %s (%s): a unicast query to its sealed endpoint %s; it becomes a peer when its answer arrives", shortID(p.ID), peerText(p), ep)
}

// transportLog writes the transport's lines to the engine's log.
type transportLog struct{ g *logs }

func (l transportLog) Printf(level mcast.Level, format string, args ...any) {
	l.g.printf(plog.FromMcast(level), format, args...)
}

func (l transportLog) Limited(kind mcast.Limit, level mcast.Level, format string, args ...any) {
	l.g.limited(limitTransport+int(kind), plog.FromMcast(level), format, args...)
}
