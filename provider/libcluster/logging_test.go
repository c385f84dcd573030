package libcluster

import (
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
)

// TestLogRecords: with Config.Logger set, node lines are records with the
// node's name, its address and the reason, and a dropped heartbeat's
// record has its reason and source; the *log.Logger gets nothing.
func TestLogRecords(t *testing.T) {
	recs := &logBuf{}
	e, text := loEngine(t, func(c *Config) {
		c.Logger = slog.New(slog.NewJSONHandler(recs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	})
	ev, unsub := e.Events()
	defer unsub()
	send := sender(t, e)
	send(plain("a@127.0.0.1"), plain("spoof@10.9.9.9"), plain("sentinel@127.0.0.1"))
	waitEvent(t, ev, EventJoin, "a@127.0.0.1")
	waitEvent(t, ev, EventJoin, "sentinel@127.0.0.1") // after the spoof's drop

	find := func(prefix string) map[string]any {
		t.Helper()
		for l := range strings.SplitSeq(recs.String(), "\n") {
			var m map[string]any
			if json.Unmarshal([]byte(l), &m) == nil && strings.HasPrefix(m["msg"].(string), prefix) {
				return m
			}
		}
		t.Fatalf("no record %q in:\n%s", prefix, recs)
		return nil
	}
	listed := find("node a@127.0.0.1 at 127.0.0.1 listed: ")
	if listed["level"] != "INFO" || listed["module"] != "discover-libcluster" || listed["node"] != "a@127.0.0.1" ||
		listed["addr"] != "127.0.0.1" || listed["reason"] != "heard, no erlang_cookie to check" {
		t.Errorf("listed: %v", listed)
	}
	drop := find("dropped a datagram from 127.0.0.1:")
	if drop["level"] != "WARN" || drop["reason"] != "source" || !strings.HasPrefix(drop["src"].(string), "127.0.0.1:") ||
		!strings.Contains(drop["msg"].(string), "spoof@10.9.9.9") {
		t.Errorf("drop: %v", drop)
	}
	if text.String() != "" {
		t.Errorf("the *log.Logger got lines though Config.Logger is set:\n%s", text)
	}
}
