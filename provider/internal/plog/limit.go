package plog

import (
	"log/slog"
	"time"
)

// LimitEvery is how often one rate-limited kind of line may appear: a
// flood of bad datagrams, or a send that fails at every heartbeat, logs
// once a minute, not at its own rate.
const LimitEvery = time.Minute

// limitedSuffix ends a rate-limited line, so that a reader knows it stands
// for more.
const limitedSuffix = " (logged at most once a minute)"

// Allow reports whether a line of kind (0 to New's limited-1) at level may
// be written now, and if so records it: at most one line of a kind per
// LimitEvery passes. It allocates nothing and takes no lock (the receive
// path asks it for every datagram it drops), so a caller can ask it before
// building the line's arguments.
func (l *Logger) Allow(kind int, level slog.Level) bool {
	if !l.Enabled(level) {
		return false
	}
	now := l.now().UnixNano()
	last := l.last[kind].Load()
	if last != 0 && now-last < int64(LimitEvery) {
		return false
	}
	return l.last[kind].CompareAndSwap(last, now)
}

// Limited writes the line Logf would, marked as rate-limited, unless a
// line of kind was written less than LimitEvery ago (see Allow).
func (l *Logger) Limited(kind int, level slog.Level, attrs []slog.Attr, format string, args ...any) {
	if l.Allow(kind, level) {
		l.Logf(level, attrs, format+limitedSuffix, args...)
	}
}
