// Package plog carries the log lines of the providers to their host, which
// gives either a plain *log.Logger (go-discover's Addrs, Consul) or a
// *slog.Logger (a host that logs structured).
//
// A line is a message that says everything a reader needs (reasons,
// addresses, counts) plus fields that repeat its variable parts for
// machines. A *log.Logger gets the message alone, as "[LEVEL] module:
// message": go-discover's convention, from which hclog's InferLevels and
// Consul take the level and then keep only the text, so the text must
// stand alone. A *slog.Logger gets a record: the same message, so that a
// line reads and greps the same in both, with the fields and the
// attribute module=<module> (the hclog handler of the command makes it
// the logger's name, hclog's @module).
//
// Only the standard library is used, so the provider module keeps its
// short dependency list.
package plog

import (
	"context"
	"fmt"
	"log"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/mcgossip/go-discover-mcgossip/provider/internal/mcast"
)

// ModuleKey is the key of the attribute that names the provider in its
// records.
const ModuleKey = "module"

// Logger is the swappable log destination of one engine. Its methods are
// safe for concurrent use; the zero Logger is not usable (see New).
type Logger struct {
	module string
	out    atomic.Pointer[output] // nil: discard
}

// output is where the lines go: rec when it is set, else text.
type output struct {
	text *log.Logger
	rec  *slog.Logger // With(module) applied
}

// New returns a Logger for module ("discover-mcgossip") that writes to
// text, or to rec when it is not nil (see Set).
func New(module string, text *log.Logger, rec *slog.Logger) *Logger {
	l := &Logger{module: module}
	l.Set(text, rec)
	return l
}

// Set makes the logger write records to rec when it is not nil, else text
// lines to text; with both nil it discards.
func (l *Logger) Set(text *log.Logger, rec *slog.Logger) {
	switch {
	case rec != nil:
		l.out.Store(&output{rec: rec.With(slog.String(ModuleKey, l.module))})
	case text != nil:
		l.out.Store(&output{text: text})
	default:
		l.out.Store(nil)
	}
}

// Enabled reports whether a line at level would be written: not when
// discarding, nor when the *slog.Logger's handler is not enabled at level;
// always for a *log.Logger, which has no level of its own (its host
// filters by the prefix).
func (l *Logger) Enabled(level slog.Level) bool {
	o := l.out.Load()
	return o != nil && (o.rec == nil || o.rec.Enabled(context.Background(), level))
}

// Logf writes one line at level: format and args make its message, attrs
// are its fields (only a *slog.Logger gets them). Nothing is formatted when
// the line would not be written.
func (l *Logger) Logf(level slog.Level, attrs []slog.Attr, format string, args ...any) {
	o := l.out.Load()
	switch {
	case o == nil:
	case o.rec != nil:
		ctx := context.Background()
		if !o.rec.Enabled(ctx, level) {
			return
		}
		// No caller's pc: it would name this function, so a handler with
		// AddSource leaves the source out rather than misleading.
		r := slog.NewRecord(time.Now(), level, fmt.Sprintf(format, args...), 0)
		r.AddAttrs(attrs...)
		_ = o.rec.Handler().Handle(ctx, r) // a handler's error has nowhere to go
	default:
		o.text.Print(prefix(level) + " " + l.module + ": " + fmt.Sprintf(format, args...))
	}
}

// Fields returns the fields of a line from key/value pairs, as
// slog.Logger.Log takes them: a value that is a fmt.Stringer (an instance
// id, an address, a message type) becomes its String, so that every
// handler shows it alike (a JSON handler would otherwise marshal an id as
// an array of bytes); a LogValuer and a time.Duration stay as they are.
// An empty key inlines a group's fields.
func Fields(kv ...any) []slog.Attr {
	attrs := make([]slog.Attr, 0, len(kv)/2)
	for i := 0; i+1 < len(kv); i += 2 {
		key, _ := kv[i].(string)
		switch v := kv[i+1].(type) {
		case slog.LogValuer, time.Duration:
			attrs = append(attrs, slog.Any(key, v))
		case fmt.Stringer:
			attrs = append(attrs, slog.String(key, v.String()))
		default:
			attrs = append(attrs, slog.Any(key, v))
		}
	}
	return attrs
}

// prefix returns the "[LEVEL]" prefix of level that hclog's InferLevels
// reads: "[DEBUG]" below Info, "[INFO]", "[WARN]", or "[ERROR]" from
// Error up.
func prefix(level slog.Level) string {
	switch {
	case level < slog.LevelInfo:
		return "[DEBUG]"
	case level < slog.LevelWarn:
		return "[INFO]"
	case level < slog.LevelError:
		return "[WARN]"
	}
	return "[ERROR]"
}

// FromMcast returns the level of a line of the transport.
func FromMcast(level mcast.Level) slog.Level {
	switch level {
	case mcast.LevelDebug:
		return slog.LevelDebug
	case mcast.LevelWarn:
		return slog.LevelWarn
	}
	return slog.LevelInfo
}
