package hclogslog_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"log/slog"
	"reflect"
	"strings"
	"testing"
	"testing/slogtest"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/mcgossip/go-discover-mcgossip/internal/hclogslog"
)

// newJSON returns a slog.Logger writing through an hclog JSON logger at
// level, and the buffer it writes to.
func newJSON(level hclog.Level) (*slog.Logger, *bytes.Buffer) {
	var buf bytes.Buffer
	hl := hclog.New(&hclog.LoggerOptions{Level: level, Output: &buf, JSONFormat: true})
	return slog.New(hclogslog.NewHandler(hl)), &buf
}

// lines decodes the JSON lines in buf, without their timestamps.
func lines(t *testing.T, buf *bytes.Buffer) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		if l == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("line %q: %v", l, err)
		}
		delete(m, "@timestamp")
		out = append(out, m)
	}
	return out
}

// TestLevels: each slog level maps to its hclog level, and Enabled asks
// hclog's: at Debug, a Trace record (below slog's Debug) is left out.
func TestLevels(t *testing.T) {
	l, buf := newJSON(hclog.Debug)
	for _, lv := range []slog.Level{slog.LevelDebug - 1, slog.LevelDebug, slog.LevelInfo, slog.LevelWarn, slog.LevelError, slog.LevelError + 4} {
		l.Log(t.Context(), lv, lv.String())
	}
	var got []string
	for _, m := range lines(t, buf) {
		got = append(got, m["@level"].(string)+" "+m["@message"].(string))
	}
	want := []string{"debug DEBUG", "info INFO", "warn WARN", "error ERROR", "error ERROR+4"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
	if l.Enabled(t.Context(), slog.LevelDebug-1) || !l.Enabled(t.Context(), slog.LevelDebug) {
		t.Error("Enabled does not follow the hclog logger's level (debug)")
	}
	off, _ := newJSON(hclog.Off)
	if off.Enabled(t.Context(), slog.LevelError+100) {
		t.Error("Enabled at Off")
	}
}

// peer is a LogValuer, as mcgossip.Peer.
type peer struct{ addr, name string }

func (p peer) LogValue() slog.Value {
	return slog.GroupValue(slog.String("addr", p.addr), slog.String("name", p.name))
}

// TestFields: values keep their kinds, groups and LogValuers are flattened
// to dotted keys, WithAttrs and WithGroup nest as slog says, an empty
// group and a zero attribute are left out, an empty-key group is
// inlined, and a top-level module attribute names the logger (@module).
func TestFields(t *testing.T) {
	l, buf := newJSON(hclog.Trace)
	l = l.With("module", "discover-mcgossip", "engine", "e1")
	l.Info("peer joined",
		slog.Any("peer", peer{"198.18.0.2", "h2"}),
		slog.Int("found", 3), slog.Bool("silent", true), slog.Duration("took", 1500*time.Millisecond),
		slog.Any("error", errors.New("boom")), slog.Group("empty"), slog.Attr{},
		slog.Group("", slog.Uint64("datagrams", 14)))
	l.WithGroup("lookup").With("id", "q1").WithGroup("").Warn("short", "found", 0, slog.Group("heard", "other_cookie", 12))
	l.WithGroup("g").With("module", "not-a-name").Debug("in a group")

	want := []map[string]any{
		{"@level": "info", "@message": "peer joined", "@module": "discover-mcgossip", "engine": "e1",
			"peer.addr": "198.18.0.2", "peer.name": "h2", "found": 3.0, "silent": true, "took": 1.5e9, "error": "boom", "datagrams": 14.0},
		{"@level": "warn", "@message": "short", "@module": "discover-mcgossip", "engine": "e1",
			"lookup.id": "q1", "lookup.found": 0.0, "lookup.heard.other_cookie": 12.0},
		{"@level": "debug", "@message": "in a group", "@module": "discover-mcgossip", "engine": "e1", "g.module": "not-a-name"},
	}
	if got := lines(t, buf); !reflect.DeepEqual(got, want) {
		t.Errorf("got\n%v\nwant\n%v", got, want)
	}
}

// TestText: in hclog's text format a named record reads "[LEVEL] name:
// message: key=value".
func TestText(t *testing.T) {
	var buf bytes.Buffer
	hl := hclog.New(&hclog.LoggerOptions{Level: hclog.Debug, Output: &buf, DisableTime: true})
	slog.New(hclogslog.NewHandler(hl)).With("module", "discover-mcgossip").Debug("peer left", slog.Group("peer", "addr", "198.18.0.2"))
	if got, want := buf.String(), "[DEBUG] discover-mcgossip: peer left: peer.addr=198.18.0.2\n"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

// TestArgs: Args flattens as the handler does, for hclog callers.
func TestArgs(t *testing.T) {
	got := hclogslog.Args(slog.Any("", slog.GroupValue(slog.Int("datagrams", 2))), slog.Any("peer", peer{"a", "b"}))
	want := []any{"datagrams", int64(2), "peer.addr", "a", "peer.name", "b"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

// TestSlogtest runs the standard library's handler conformance tests,
// reading the JSON lines back with dotted keys nested again.
func TestSlogtest(t *testing.T) {
	var buf bytes.Buffer
	hl := hclog.New(&hclog.LoggerOptions{Level: hclog.Trace, Output: &buf, JSONFormat: true})
	results := func() []map[string]any {
		var out []map[string]any
		for _, m := range lines(t, &buf) {
			r := map[string]any{slog.LevelKey: m["@level"], slog.MessageKey: m["@message"], slog.TimeKey: time.Now()}
			for k, v := range m {
				if strings.HasPrefix(k, "@") {
					continue
				}
				nest(r, strings.Split(k, "."), v)
			}
			out = append(out, r)
		}
		return out
	}
	if err := slogtest.TestHandler(hclogslog.NewHandler(hl), results); err != nil {
		// hclog stamps its own time: the record's zero time cannot be left
		// out, which is the one rule this handler does not follow.
		for _, e := range unwrap(err) {
			if !strings.Contains(e.Error(), "zero Record.Time") {
				t.Error(e)
			}
		}
	}
}

// nest sets m[path[0]][path[1]]... = v.
func nest(m map[string]any, path []string, v any) {
	for _, k := range path[:len(path)-1] {
		sub, ok := m[k].(map[string]any)
		if !ok {
			sub = map[string]any{}
			m[k] = sub
		}
		m = sub
	}
	m[path[len(path)-1]] = v
}

// unwrap returns the errors errors.Join joined.
func unwrap(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}
