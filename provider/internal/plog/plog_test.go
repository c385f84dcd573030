package plog

import (
	"bytes"
	"encoding/json"
	"log"
	"log/slog"
	"net/netip"
	"reflect"
	"testing"
	"time"
)

type id [2]byte

func (i id) String() string { return "abcd" }

// TestText: a *log.Logger gets "[LEVEL] module: message" and no field.
func TestText(t *testing.T) {
	var buf bytes.Buffer
	l := New("discover-test", log.New(&buf, "", 0), nil)
	l.Logf(slog.LevelDebug, Fields("peer", id{}), "peer %s joined: %s", "abcd", "198.18.0.2")
	l.Logf(slog.LevelInfo, nil, "engine started")
	l.Logf(slog.LevelWarn, nil, "50%% lost")
	l.Logf(slog.LevelError, nil, "broken")
	want := "[DEBUG] discover-test: peer abcd joined: 198.18.0.2\n[INFO] discover-test: engine started\n[WARN] discover-test: 50% lost\n[ERROR] discover-test: broken\n"
	if buf.String() != want {
		t.Errorf("got\n%s\nwant\n%s", buf.String(), want)
	}
	if !l.Enabled(slog.LevelDebug) {
		t.Error("a *log.Logger is not enabled at debug; it has no level, its host filters")
	}
}

// TestRecords: a *slog.Logger gets the same message, the fields (a
// Stringer as its String) and module=<module>; its level is honoured, and
// nothing is formatted below it.
func TestRecords(t *testing.T) {
	var buf bytes.Buffer
	rec := slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelInfo}))
	var text bytes.Buffer
	l := New("discover-test", log.New(&text, "", 0), rec)
	l.Logf(slog.LevelDebug, nil, "hidden %v", panicker{})
	l.Logf(slog.LevelInfo, Fields("id", id{}, "src", netip.MustParseAddrPort("198.18.0.2:4000"), "took", 1500*time.Millisecond, "n", 3),
		"dropped a datagram from %s", "198.18.0.2:4000")
	var got map[string]any
	if err := json.Unmarshal(buf.Bytes(), &got); err != nil {
		t.Fatalf("%v: %s", err, buf.String())
	}
	delete(got, "time")
	want := map[string]any{"level": "INFO", "msg": "dropped a datagram from 198.18.0.2:4000", "module": "discover-test",
		"id": "abcd", "src": "198.18.0.2:4000", "took": 1.5e9, "n": 3.0}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
	if text.Len() != 0 {
		t.Errorf("the *log.Logger got %q though a *slog.Logger is set", text.String())
	}
	if l.Enabled(slog.LevelDebug) || !l.Enabled(slog.LevelInfo) {
		t.Error("Enabled does not follow the handler's level")
	}
}

// panicker fails the test if it is ever formatted.
type panicker struct{}

func (panicker) String() string { panic("formatted a line below the level") }

// TestSet: Set swaps the destination; both nil discard.
func TestSet(t *testing.T) {
	var a, b bytes.Buffer
	l := New("m", log.New(&a, "", 0), nil)
	l.Set(log.New(&b, "", 0), nil)
	l.Logf(slog.LevelInfo, nil, "one")
	l.Set(nil, nil)
	l.Logf(slog.LevelWarn, nil, "%v", panicker{})
	if l.Enabled(slog.LevelError) {
		t.Error("a discarding logger is enabled")
	}
	if a.Len() != 0 || b.String() != "[INFO] m: one\n" {
		t.Errorf("first logger %q, second %q", a.String(), b.String())
	}
}
