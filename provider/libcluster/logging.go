package libcluster

import (
	"log"
	"strconv"
	"sync"
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
// them rate-limited by kind.
type logs struct {
	l atomic.Pointer[log.Logger] // nil: discard

	mu   sync.Mutex
	last map[string]time.Time // per rate-limited kind, its last line
}

func newLogs(l *log.Logger) *logs {
	g := &logs{last: map[string]time.Time{}}
	g.l.Store(l)
	return g
}

// printf writes one line at level.
func (g *logs) printf(level, format string, args ...any) {
	if l := g.l.Load(); l != nil {
		l.Printf(level+" discover-libcluster: "+format, args...)
	}
}

// limited writes one line of kind at level unless one was written less
// than logEvery ago.
func (g *logs) limited(kind, level, format string, args ...any) {
	if g.l.Load() == nil {
		return
	}
	now := time.Now()
	g.mu.Lock()
	last, ok := g.last[kind]
	allow := !ok || now.Sub(last) >= logEvery
	if allow {
		g.last[kind] = now
	}
	g.mu.Unlock()
	if allow {
		g.printf(level, format+" (logged at most once a minute)", args...)
	}
}

// transportLog writes the receiver's lines to the engine's log.
type transportLog struct{ g *logs }

// levels maps mcast's levels to the engine's.
var levels = [...]string{mcast.LevelDebug: levelDebug, mcast.LevelInfo: levelInfo, mcast.LevelWarn: levelWarn}

func (l transportLog) Printf(level mcast.Level, format string, args ...any) {
	l.g.printf(levels[level], format, args...)
}

func (l transportLog) Limited(kind mcast.Limit, level mcast.Level, format string, args ...any) {
	l.g.limited("transport "+strconv.Itoa(int(kind)), levels[level], format, args...)
}
