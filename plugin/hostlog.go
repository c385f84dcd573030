package plugin

import (
	"bytes"
	"fmt"
	"io"
	"log"
	"slices"
	"strconv"
	"strings"
	"sync"

	hclog "github.com/hashicorp/go-hclog"
)

// logRouter sends the log lines of a host's plugins to *log.Logger values:
// a provider's line, tagged with the log id of the Addrs call that made it,
// goes to that call's logger as "[LEVEL] message", exactly as the provider
// wrote it in process. Untagged lines (go-plugin on both sides, a crashing
// plugin's panic) at or above the router's level go to the logger of every
// call in flight, or to the fallback logger when none is.
type logRouter struct {
	level    hclog.Level
	fallback *log.Logger // nil: discard

	mu    sync.Mutex
	next  uint64
	calls map[uint64]*callLog
}

// callLog is the logging state of one call in flight.
type callLog struct {
	l     *log.Logger   // nil: discard
	ended chan struct{} // closed when the plugin's end-of-call line arrived
	once  sync.Once
}

func newLogRouter(level hclog.Level, fallback *log.Logger) *logRouter {
	return &logRouter{level: level, fallback: fallback, calls: map[uint64]*callLog{}}
}

// open registers the logger of a call and returns the call's log id, a
// channel closed when the plugin's end-of-call line has been routed (every
// line the provider logged before returning came first: the plugin writes
// them to its stderr in order before it answers) and a func that
// unregisters the call. A nil logger discards the call's lines.
func (r *logRouter) open(l *log.Logger) (uint64, <-chan struct{}, func()) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.next++
	id := r.next
	c := &callLog{l: l, ended: make(chan struct{})}
	r.calls[id] = c
	return id, c.ended, func() {
		r.mu.Lock()
		defer r.mu.Unlock()
		delete(r.calls, id)
	}
}

// emit routes one log entry; args are hclog's key/value pairs.
func (r *logRouter) emit(level hclog.Level, name, msg string, args []interface{}) {
	tag, tagged, rest := splitTag(args)
	if tagged {
		id, err := strconv.ParseUint(tag, 10, 64)
		r.mu.Lock()
		c, ok := r.calls[id]
		r.mu.Unlock()
		if err == nil && ok {
			switch {
			case msg == callEndMsg:
				c.once.Do(func() { close(c.ended) })
			case c.l != nil:
				c.l.Print(format(level, "", msg, rest))
			}
			return
		}
		if msg == callEndMsg {
			return
		}
		// A line of a call that already returned: treat it as untagged.
	}
	if level < r.level {
		return
	}
	line := format(level, name, msg, rest)
	r.mu.Lock()
	var dst []*log.Logger
	for _, c := range r.calls {
		if c.l != nil && !slices.Contains(dst, c.l) {
			dst = append(dst, c.l)
		}
	}
	r.mu.Unlock()
	if len(dst) == 0 && r.fallback != nil {
		dst = append(dst, r.fallback)
	}
	for _, l := range dst {
		l.Print(line)
	}
}

// splitTag takes the log id tag and hclog's "timestamp" (added by go-plugin
// to forwarded lines; a *log.Logger has its own) out of args.
func splitTag(args []interface{}) (tag string, tagged bool, rest []interface{}) {
	for i := 0; i+1 < len(args); i += 2 {
		k, _ := args[i].(string)
		switch k {
		case logIDKey:
			tag, tagged = fmt.Sprint(args[i+1]), true
		case "timestamp":
		default:
			rest = append(rest, args[i], args[i+1])
		}
	}
	if len(args)%2 == 1 {
		rest = append(rest, "EXTRA_VALUE_AT_END", args[len(args)-1])
	}
	return tag, tagged, rest
}

// levelPrefix is the go-discover convention hclog's InferLevels reads.
func levelPrefix(level hclog.Level) string {
	switch level {
	case hclog.Trace:
		return "[TRACE] "
	case hclog.Debug:
		return "[DEBUG] "
	case hclog.Warn:
		return "[WARN] "
	case hclog.Error:
		return "[ERROR] "
	default:
		return "[INFO] "
	}
}

// format renders "[LEVEL] name: msg: k=v ..." (hclog's text layout without
// the time); a provider's line has no name and reads "[LEVEL] msg".
func format(level hclog.Level, name, msg string, args []interface{}) string {
	var b strings.Builder
	b.WriteString(levelPrefix(level))
	if name != "" {
		b.WriteString(name)
		b.WriteString(": ")
	}
	b.WriteString(msg)
	for i := 0; i+1 < len(args); i += 2 {
		if i == 0 && name != "" {
			b.WriteString(":")
		}
		b.WriteString(" ")
		b.WriteString(fmt.Sprint(args[i]))
		b.WriteString("=")
		b.WriteString(quoteValue(args[i+1]))
	}
	return b.String()
}

// quoteValue formats a log value, quoted when it is empty or holds spaces,
// quotes or '='.
func quoteValue(v interface{}) string {
	s := fmt.Sprint(v)
	if s == "" || strings.ContainsAny(s, " \t\n\"=") {
		return strconv.Quote(s)
	}
	return s
}

// hostLogger is the hclog.Logger go-plugin's client of one plugin process
// logs to (its own lines and the plugin's stderr lines). It routes them
// through a logRouter and remembers how the process exited.
type hostLogger struct {
	r       *logRouter
	name    string
	implied []interface{}
	exit    *exitNote
}

// exitNote records go-plugin's "plugin process exited" error of a process.
type exitNote struct {
	mu  sync.Mutex
	err string
}

func (e *exitNote) set(s string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.err = s
}

func (e *exitNote) get() string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.err
}

var _ hclog.Logger = (*hostLogger)(nil)

func newHostLogger(r *logRouter, name string) *hostLogger {
	return &hostLogger{r: r, name: name, exit: &exitNote{}}
}

// Log routes one entry.
func (h *hostLogger) Log(level hclog.Level, msg string, args ...interface{}) {
	all := args
	if len(h.implied) > 0 {
		all = append(append([]interface{}{}, h.implied...), args...)
	}
	if msg == "plugin process exited" {
		status := "exit status 0"
		for i := 0; i+1 < len(all); i += 2 {
			if all[i] == "error" {
				status = fmt.Sprint(all[i+1])
			}
		}
		h.exit.set(status)
	}
	h.r.emit(level, h.name, msg, all)
}

// Trace logs at Trace.
func (h *hostLogger) Trace(msg string, args ...interface{}) { h.Log(hclog.Trace, msg, args...) }

// Debug logs at Debug.
func (h *hostLogger) Debug(msg string, args ...interface{}) { h.Log(hclog.Debug, msg, args...) }

// Info logs at Info.
func (h *hostLogger) Info(msg string, args ...interface{}) { h.Log(hclog.Info, msg, args...) }

// Warn logs at Warn.
func (h *hostLogger) Warn(msg string, args ...interface{}) { h.Log(hclog.Warn, msg, args...) }

// Error logs at Error.
func (h *hostLogger) Error(msg string, args ...interface{}) { h.Log(hclog.Error, msg, args...) }

// IsTrace reports whether untagged Trace lines are kept.
func (h *hostLogger) IsTrace() bool { return h.r.level <= hclog.Trace }

// IsDebug reports whether untagged Debug lines are kept.
func (h *hostLogger) IsDebug() bool { return h.r.level <= hclog.Debug }

// IsInfo reports whether untagged Info lines are kept.
func (h *hostLogger) IsInfo() bool { return h.r.level <= hclog.Info }

// IsWarn reports whether untagged Warn lines are kept.
func (h *hostLogger) IsWarn() bool { return h.r.level <= hclog.Warn }

// IsError reports whether untagged Error lines are kept.
func (h *hostLogger) IsError() bool { return h.r.level <= hclog.Error }

// ImpliedArgs returns the key/value pairs added by With.
func (h *hostLogger) ImpliedArgs() []interface{} { return h.implied }

// With returns a logger that adds args to every entry.
func (h *hostLogger) With(args ...interface{}) hclog.Logger {
	c := *h
	c.implied = append(append([]interface{}{}, h.implied...), args...)
	return &c
}

// Name returns the logger's name.
func (h *hostLogger) Name() string { return h.name }

// Named returns a logger whose name has name appended.
func (h *hostLogger) Named(name string) hclog.Logger {
	c := *h
	if c.name != "" {
		c.name += "." + name
	} else {
		c.name = name
	}
	return &c
}

// ResetNamed returns a logger named name.
func (h *hostLogger) ResetNamed(name string) hclog.Logger {
	c := *h
	c.name = name
	return &c
}

// SetLevel does nothing: the level belongs to the RemoteProvider (WithLogLevel).
func (h *hostLogger) SetLevel(hclog.Level) {}

// GetLevel returns Trace, so that go-plugin forwards every line of the
// plugin: a provider's lines go to the caller's logger whatever their level,
// as they would in process; the router filters the other lines.
func (h *hostLogger) GetLevel() hclog.Level { return hclog.Trace }

// StandardLogger returns a *log.Logger writing to this logger.
func (h *hostLogger) StandardLogger(opts *hclog.StandardLoggerOptions) *log.Logger {
	return log.New(h.StandardWriter(opts), "", 0)
}

// StandardWriter returns a writer whose lines are logged, at the level of
// their "[LEVEL]" prefix when opts.InferLevels is set, else at Info.
func (h *hostLogger) StandardWriter(opts *hclog.StandardLoggerOptions) io.Writer {
	infer := opts != nil && opts.InferLevels
	return writerFunc(func(p []byte) (int, error) {
		s := string(bytes.TrimRight(p, " \t\n"))
		level := hclog.Info
		if infer {
			level, s = inferLevel(s)
		}
		h.Log(level, s)
		return len(p), nil
	})
}

// writerFunc is an io.Writer made of a func.
type writerFunc func([]byte) (int, error)

// Write calls f.
func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

// inferLevel reads a "[LEVEL]" prefix as hclog's InferLevels does.
func inferLevel(s string) (hclog.Level, string) {
	for _, p := range []struct {
		prefix string
		level  hclog.Level
	}{
		{"[TRACE]", hclog.Trace}, {"[DEBUG]", hclog.Debug}, {"[INFO]", hclog.Info},
		{"[WARN]", hclog.Warn}, {"[ERROR]", hclog.Error}, {"[ERR]", hclog.Error},
	} {
		if strings.HasPrefix(s, p.prefix) {
			return p.level, strings.TrimSpace(s[len(p.prefix):])
		}
	}
	return hclog.Info, s
}
