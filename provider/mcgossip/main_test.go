package mcgossip_test

import (
	"bytes"
	"log"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mcgossip/go-discover-mcgossip/provider/internal/testns"
	"github.com/mcgossip/go-discover-mcgossip/provider/mcgossip"
)

// TestMain runs the package in a private network namespace.
func TestMain(m *testing.M) { testns.Main(m) }

// engineGoroutines returns the stacks of the goroutines that run code of
// package mcgossip (not its tests) or of its transport (package mcast), or
// "".
func engineGoroutines() string {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	var out []string
	for g := range bytes.SplitSeq(buf, []byte("\n\n")) {
		s := string(g)
		if strings.Contains(s, "provider/mcgossip.(*") || strings.Contains(s, "provider/mcgossip.newEngine") ||
			strings.Contains(s, "provider/internal/mcast.(*") {
			out = append(out, s)
		}
	}
	return strings.Join(out, "\n\n")
}

// waitNoEngineGoroutines waits up to d for every engine goroutine to end
// and returns the stacks of those still there.
func waitNoEngineGoroutines(d time.Duration) string {
	deadline := time.Now().Add(d)
	for {
		left := engineGoroutines()
		if left == "" || time.Now().After(deadline) {
			return left
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// checkNoLeak fails t if engine goroutines are left at its end. Only for
// tests that do not run in parallel with others that run engines.
func checkNoLeak(t *testing.T) {
	t.Helper()
	t.Cleanup(func() {
		if left := waitNoEngineGoroutines(3 * time.Second); left != "" {
			t.Errorf("engine goroutines left:\n%s", left)
		}
	})
}

// logBuf is a concurrency-safe log sink whose lines tests can wait for.
type logBuf struct {
	mu    sync.Mutex
	lines []string
	ch    chan struct{} // closed and replaced on every write
}

func newLogBuf() *logBuf { return &logBuf{ch: make(chan struct{})} }

func (b *logBuf) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for l := range strings.SplitSeq(strings.TrimRight(string(p), "\n"), "\n") {
		b.lines = append(b.lines, l)
	}
	close(b.ch)
	b.ch = make(chan struct{})
	return len(p), nil
}

// logger returns a *log.Logger writing to b.
func (b *logBuf) logger() *log.Logger { return log.New(b, "", 0) }

// count returns how many lines contain sub.
func (b *logBuf) count(sub string) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	n := 0
	for _, l := range b.lines {
		if strings.Contains(l, sub) {
			n++
		}
	}
	return n
}

func (b *logBuf) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return strings.Join(b.lines, "\n")
}

// wait waits up to d for a line containing sub and returns it.
func (b *logBuf) wait(t testing.TB, sub string, d time.Duration) string {
	t.Helper()
	deadline := time.NewTimer(d)
	defer deadline.Stop()
	for {
		b.mu.Lock()
		for _, l := range b.lines {
			if strings.Contains(l, sub) {
				b.mu.Unlock()
				return l
			}
		}
		ch := b.ch
		b.mu.Unlock()
		select {
		case <-ch:
		case <-deadline.C:
			t.Fatalf("no log line with %q within %v; log:\n%s", sub, d, b.String())
			return ""
		}
	}
}

// waitEvent waits up to d for an event of kind about peer id (any peer
// when id is zero) and returns it.
func waitEvent(t testing.TB, ch <-chan mcgossip.Event, kind mcgossip.EventKind, id [16]byte, d time.Duration) mcgossip.Event {
	t.Helper()
	deadline := time.NewTimer(d)
	defer deadline.Stop()
	for {
		select {
		case ev, ok := <-ch:
			if !ok {
				t.Fatalf("event channel closed while waiting for %v", kind)
			}
			if ev.Kind == kind && (id == [16]byte{} || ev.Peer.ID == id) {
				return ev
			}
		case <-deadline.C:
			t.Fatalf("no %v event within %v", kind, d)
			return mcgossip.Event{}
		}
	}
}

// eventually polls cond every few milliseconds until it holds or d
// passes; it is for state that has no event (counters).
func eventually(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v", what, d)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// nextPort hands out a distinct group port to every socket test, so tests
// never hear each other.
var portSeq atomic.Int32

func nextPort() int { return 47000 + int(portSeq.Add(1)) }
