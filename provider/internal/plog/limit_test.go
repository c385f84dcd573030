package plog

import (
	"bytes"
	"log"
	"log/slog"
	"strings"
	"testing"
	"time"
)

// TestLimited: one line of a kind a minute passes, marked as rate-limited;
// kinds are limited apart; a line above the *slog.Logger's level neither
// passes nor uses up its kind's minute.
func TestLimited(t *testing.T) {
	var buf bytes.Buffer
	l := New("discover-test", 2, log.New(&buf, "", 0), nil)
	now := time.Unix(1000, 0)
	l.now = func() time.Time { return now }
	l.Limited(0, slog.LevelWarn, nil, "drop %d", 1)
	l.Limited(0, slog.LevelWarn, nil, "drop %d", 2)
	l.Limited(1, slog.LevelWarn, nil, "send %d", 1)
	now = now.Add(LimitEvery - time.Nanosecond)
	l.Limited(0, slog.LevelWarn, nil, "drop %d", 3)
	now = now.Add(time.Nanosecond)
	l.Limited(0, slog.LevelWarn, nil, "drop %d", 4)
	want := "[WARN] discover-test: drop 1 (logged at most once a minute)\n" +
		"[WARN] discover-test: send 1 (logged at most once a minute)\n" +
		"[WARN] discover-test: drop 4 (logged at most once a minute)\n"
	if buf.String() != want {
		t.Errorf("got\n%s\nwant\n%s", buf.String(), want)
	}

	buf.Reset()
	l.Set(nil, slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelInfo})))
	now = now.Add(LimitEvery)
	if l.Allow(1, slog.LevelDebug) {
		t.Error("Allow at debug, below the handler's level")
	}
	l.Limited(1, slog.LevelInfo, Fields("src", "198.18.0.2:1"), "send %d", 2)
	if got := buf.String(); !strings.Contains(got, `msg="send 2 (logged at most once a minute)"`) || !strings.Contains(got, "src=198.18.0.2:1") {
		t.Errorf("the record: %q; want the line at info, its field, after a debug line that did not count", got)
	}
}
