package libcluster

import (
	"log"
	"log/slog"
	"strconv"
	"sync"
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

// logModule names the engine's lines: the "discover-libcluster: " of a
// text line, the module attribute of a record.
const logModule = "discover-libcluster"

// logEvery is how often one rate-limited kind of log line may appear.
const logEvery = time.Minute

// logs writes an engine's log lines to a swappable destination (a
// *log.Logger, or a *slog.Logger for records with fields; see plog), some
// of them rate-limited by kind. The fields of node lines are node (its
// name), addr (its address) and reason (why it is listed, or not, or its
// heartbeat dropped); a dropped datagram's are reason (its Stats.Dropped
// key) and src.
type logs struct {
	out *plog.Logger

	mu   sync.Mutex
	last map[string]time.Time // per rate-limited kind, its last line
}

// newLogs returns logs that write records to rec when it is not nil, else
// text lines to text; both nil discard.
func newLogs(text *log.Logger, rec *slog.Logger) *logs {
	return &logs{out: plog.New(logModule, text, rec), last: map[string]time.Time{}}
}

// set makes the lines go to rec when it is not nil, else to text.
func (g *logs) set(text *log.Logger, rec *slog.Logger) { g.out.Set(text, rec) }

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

// limited writes the line logf would unless one of kind was written less
// than logEvery ago.
func (g *logs) limited(kind string, level slog.Level, attrs []slog.Attr, format string, args ...any) {
	if !g.out.Enabled(level) {
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
		g.logf(level, attrs, format+" (logged at most once a minute)", args...)
	}
}

// fields returns the fields of a line from key/value pairs (plog.Fields).
var fields = plog.Fields

// transportLog writes the receiver's lines to the engine's log.
type transportLog struct{ g *logs }

func (l transportLog) Printf(level mcast.Level, format string, args ...any) {
	l.g.printf(plog.FromMcast(level), format, args...)
}

func (l transportLog) Limited(kind mcast.Limit, level mcast.Level, format string, args ...any) {
	l.g.limited("transport "+strconv.Itoa(int(kind)), plog.FromMcast(level), nil, format, args...)
}
