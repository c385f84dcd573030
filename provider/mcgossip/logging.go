package mcgossip

import (
	"log"
	"sync/atomic"
	"time"

	"github.com/mcgossip/go-discover-mcgossip/provider/internal/mcast"
)

// Log levels, as prefixes that hclog's InferLevels understands.
const (
	levelDebug = "[DEBUG]"
	levelInfo  = "[INFO]"
	levelWarn  = "[WARN]"
)

// logEvery is how often one rate-limited kind of log line may appear.
const logEvery = time.Minute

// logs writes an engine's log lines to a swappable *log.Logger, some of
// them rate-limited.
type logs struct {
	l atomic.Pointer[log.Logger] // nil: discard
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

func newLogs(l *log.Logger) *logs {
	g := new(logs)
	g.l.Store(l)
	return g
}

// printf writes one line at level.
func (g *logs) printf(level, format string, args ...any) {
	l := g.l.Load()
	if l == nil {
		return
	}
	l.Printf(level+" discover-mcgossip: "+format, args...)
}

// allow reports whether a line of kind may be written now, and if so
// records it. At most one line per kind per logEvery passes.
func (g *logs) allow(kind int) bool {
	if g.l.Load() == nil {
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
func (g *logs) limited(kind int, level, format string, args ...any) {
	if g.allow(kind) {
		g.printf(level, format+" (logged at most once a minute)", args...)
	}
}
