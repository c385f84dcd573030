package consul

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"time"
)

// logLine is one line of a Consul agent's output. With log_json, the
// agent's log lines are hclog JSON objects; the few lines Consul prints
// before its logger exists are kept with Raw only.
type logLine struct {
	Raw     string
	Level   string         // "@level": trace, debug, info, warn, error
	Module  string         // "@module", such as "agent"
	Message string         // "@message"
	Fields  map[string]any // every key, "@"-keys included
}

// field returns the line's key as a string ("" when absent).
func (l logLine) field(key string) string {
	v, ok := l.Fields[key]
	if !ok {
		return ""
	}
	if s, ok := v.(string); ok {
		return s
	}
	return fmt.Sprint(v)
}

// agentLog collects one Consul process's stdout and stderr, line by line,
// and lets a test wait for lines. It is an io.Writer for exec.Cmd.
type agentLog struct {
	name string // the agent and its run, for messages: "s3, run 2"

	mu      sync.Mutex
	partial []byte
	lines   []logLine
	changed chan struct{} // closed (and replaced) when a line arrives
}

func newAgentLog(name string) *agentLog {
	return &agentLog{name: name, changed: make(chan struct{})}
}

// Write splits p into lines and records each complete one.
func (g *agentLog) Write(p []byte) (int, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.partial = append(g.partial, p...)
	added := false
	for {
		i := bytes.IndexByte(g.partial, '\n')
		if i < 0 {
			break
		}
		g.lines = append(g.lines, parseLine(string(g.partial[:i])))
		g.partial = g.partial[i+1:]
		added = true
	}
	if added {
		close(g.changed)
		g.changed = make(chan struct{})
	}
	return len(p), nil
}

func parseLine(raw string) logLine {
	l := logLine{Raw: raw}
	if !strings.HasPrefix(raw, "{") || json.Unmarshal([]byte(raw), &l.Fields) != nil {
		return l
	}
	l.Level, l.Module, l.Message = l.field("@level"), l.field("@module"), l.field("@message")
	return l
}

// all returns the lines so far.
func (g *agentLog) all() []logLine {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]logLine(nil), g.lines...)
}

// wait returns the lines that match once there are n of them, or an
// error saying how many there were when timeout passed.
func (g *agentLog) wait(timeout time.Duration, n int, what string, match func(logLine) bool) ([]logLine, error) {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		g.mu.Lock()
		var got []logLine
		for _, l := range g.lines {
			if match(l) {
				got = append(got, l)
			}
		}
		changed := g.changed
		g.mu.Unlock()
		if len(got) >= n {
			return got, nil
		}
		select {
		case <-changed:
		case <-deadline.C:
			return got, fmt.Errorf("%d of %d log lines %s after %v", len(got), n, what, timeout)
		}
	}
}

// tail returns the last n lines, raw, for a failure message.
func (g *agentLog) tail(n int) string {
	lines := g.all()
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	var b strings.Builder
	for _, l := range lines {
		b.WriteString("    " + l.Raw + "\n")
	}
	return b.String()
}

// message matches lines whose @message is msg.
func message(msg string) func(logLine) bool {
	return func(l logLine) bool { return l.Message == msg }
}

// providerPrefix starts every line the mcgossip provider logs.
const providerPrefix = "discover-mcgossip: "

// fromProvider reports whether the provider wrote l (through the
// *log.Logger Consul hands to go-discover).
func fromProvider(l logLine) bool { return strings.HasPrefix(l.Message, providerPrefix) }
