package mcast

// Level is the level of a log line of the Transport.
type Level int

// The levels the Transport logs at.
const (
	LevelDebug Level = iota
	LevelInfo
	LevelWarn
)

// Limit is a kind of log line that may repeat, of which the Logger should
// write at most one now and then (its own rate).
type Limit int

// The rate-limited kinds of lines.
const (
	// LimitRead: a socket read failed.
	LimitRead Limit = iota
	// LimitIface: listing the interfaces or joining the group again failed.
	LimitIface
	// NumLimits is the number of kinds.
	NumLimits
)

// Logger receives the Transport's log lines. Its methods may be called
// from several goroutines at once.
type Logger interface {
	// Printf writes one line at level.
	Printf(level Level, format string, args ...any)
	// Limited writes one line of kind at level, unless the Logger wrote
	// one of that kind recently.
	Limited(kind Limit, level Level, format string, args ...any)
}

// discard is the Logger of Settings without one.
type discard struct{}

func (discard) Printf(Level, string, ...any)         {}
func (discard) Limited(Limit, Level, string, ...any) {}
