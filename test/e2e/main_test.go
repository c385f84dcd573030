// Package e2e tests the mcgossip provider across hosts, on a virtual LAN of
// network namespaces (internal/lab), and through go-discover itself, on the
// loopback of a private namespace. The provider module's own tests cover
// one host; these need the lab (root) or go-discover, which the provider
// module must not require.
package e2e

import (
	"log"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mcgossip/go-discover-mcgossip/internal/netns"
	"github.com/mcgossip/go-discover-mcgossip/provider/mcgossip"
)

// TestMain runs the package in a private network namespace (lab hosts are
// namespaces of their own).
func TestMain(m *testing.M) { netns.Main(m) }

const testCookie = "e2e-cookie-8c41d9b27f0a35e6"

// nextPort hands every lo test a group port of its own.
var portSeq atomic.Int32

func nextPort() int { return 48000 + int(portSeq.Add(1)) }

// loConfig configures an engine on lo of the test's namespace.
func loConfig(port int, announce bool) *mcgossip.Config {
	c := mcgossip.DefaultConfig()
	c.Port, c.Cookie, c.Announce = port, testCookie, announce
	c.Interval, c.AnswerJitter, c.Timeout = time.Second, 5*time.Millisecond, 5*time.Second
	return c
}

// logBuf collects log lines; wait blocks until one contains a string.
type logBuf struct {
	mu      sync.Mutex
	text    strings.Builder
	changed *sync.Cond
}

func newLogBuf() *logBuf {
	b := &logBuf{}
	b.changed = sync.NewCond(&b.mu)
	return b
}

func (b *logBuf) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.text.Write(p)
	b.changed.Broadcast()
	return len(p), nil
}

func (b *logBuf) logger() *log.Logger { return log.New(b, "", 0) }

// wait fails t unless a line with sub is logged within d.
func (b *logBuf) wait(t testing.TB, sub string, d time.Duration) {
	t.Helper()
	timer := time.AfterFunc(d, func() { b.mu.Lock(); b.changed.Broadcast(); b.mu.Unlock() })
	defer timer.Stop()
	deadline := time.Now().Add(d)
	b.mu.Lock()
	defer b.mu.Unlock()
	for !strings.Contains(b.text.String(), sub) {
		if !time.Now().Before(deadline) {
			t.Fatalf("no log line with %q within %v; log:\n%s", sub, d, b.text.String())
		}
		b.changed.Wait()
	}
}

// waitEvent waits up to d for an event of kind about peer id.
func waitEvent(t testing.TB, ch <-chan mcgossip.Event, kind mcgossip.EventKind, id [16]byte, d time.Duration) mcgossip.Event {
	t.Helper()
	timeout := time.After(d)
	for {
		select {
		case ev := <-ch:
			if ev.Kind == kind && ev.Peer.ID == id {
				return ev
			}
		case <-timeout:
			t.Fatalf("no %v event of %x within %v", kind, id, d)
		}
	}
}

// eventually polls cond until it holds, for state without an event.
func eventually(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(d); !cond(); time.Sleep(2 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v", what, d)
		}
	}
}

func addrsOf(peers []mcgossip.Peer) []string {
	var out []string
	for _, p := range peers {
		out = append(out, p.String())
	}
	return out
}
