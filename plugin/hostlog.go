package plugin

import (
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
// logs to (its own lines and the plugin's stderr lines): an hclog
// InterceptLogger that writes nothing itself and whose sink routes every
// entry through a logRouter and remembers how the process exited. Named,
// With and the standard loggers (InferLevels reads "[LEVEL]" prefixes) are
// hclog's; sub-loggers share the sink.
type hostLogger struct {
	hclog.InterceptLogger
	exit *exitNote
}

var _ hclog.Logger = (*hostLogger)(nil)

func newHostLogger(r *logRouter, name string) *hostLogger {
	l := hclog.NewInterceptLogger(&hclog.LoggerOptions{
		Name: name,
		// Trace, so that go-plugin forwards every line of the plugin: a
		// provider's lines go to the caller's logger whatever their level,
		// as they would in process; the router filters the other lines at
		// the RemoteProvider's level (WithLogLevel).
		Level:  hclog.Trace,
		Output: io.Discard,
	})
	s := &routerSink{r: r, exit: &exitNote{}}
	l.RegisterSink(s)
	return &hostLogger{InterceptLogger: l, exit: s.exit}
}

// SetLevel does nothing: the level belongs to the RemoteProvider
// (WithLogLevel), and go-plugin must keep forwarding every line. (Loggers
// from Named or With are hclog's own; go-plugin does not set their level.)
func (h *hostLogger) SetLevel(hclog.Level) {}

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

// routerSink is the sink of a hostLogger.
type routerSink struct {
	r    *logRouter
	exit *exitNote
}

// Accept routes one entry; args include the logger's implied arguments.
// go-plugin tells how the process exited only in a log line, so the line
// is where the exit status is read from.
func (s *routerSink) Accept(name string, level hclog.Level, msg string, args ...interface{}) {
	if msg == "plugin process exited" {
		status := "exit status 0"
		for i := 0; i+1 < len(args); i += 2 {
			if args[i] == "error" {
				status = fmt.Sprint(args[i+1])
			}
		}
		s.exit.set(status)
	}
	s.r.emit(level, name, msg, args)
}
