package mcgossip

import (
	"context"
	"fmt"
	"log/slog"
	"net/netip"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mcgossip/go-discover-mcgossip/provider/mcgossip/wire"
)

// stuckHandler is a slog.Handler at debug whose Handle waits until release
// is closed: a log that has fallen behind. Each Handle counts itself in
// handled and then sends on entered, if it can.
type stuckHandler struct {
	entered, release chan struct{}
	handled          *atomic.Int32
}

func (h stuckHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h stuckHandler) WithAttrs([]slog.Attr) slog.Handler       { return h }
func (h stuckHandler) WithGroup(string) slog.Handler            { return h }
func (h stuckHandler) Handle(context.Context, slog.Record) error {
	h.handled.Add(1)
	select {
	case h.entered <- struct{}{}:
	default:
	}
	<-h.release
	return nil
}

// TestEventLogOutsideTheLock: the debug line of a peer change is written by
// the event log's own goroutine, so a stuck log handler holds up neither
// the change nor a reader of the table; closing the table waits for the
// queued lines and leaves no goroutine behind.
func TestEventLogOutsideTheLock(t *testing.T) {
	h := stuckHandler{entered: make(chan struct{}, 1), release: make(chan struct{}), handled: new(atomic.Int32)}
	g := newLogs(nil, slog.New(h))
	table := newPeerTable(8)
	l := newEventLog(g)
	table.watch(l)

	now := time.Unix(1700000000, 0)
	joined := make(chan error, 1)
	go func() {
		for i := range 3 {
			a := &advert{id: wire.InstanceID{byte(i + 1)}, counter: 1, addr: netip.AddrFrom4([4]byte{198, 18, 0, byte(i + 1)}), port: 8301, interval: time.Second}
			if _, r := table.answered(a, now); r != dropNone {
				joined <- fmt.Errorf("join %d: %v", i, r)
				return
			}
		}
		joined <- nil
	}()
	select {
	case err := <-joined:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a stuck log handler holds up changes of the peer table")
	}
	select {
	case <-h.entered:
	case <-time.After(5 * time.Second):
		t.Fatal("the event log wrote no line within 5s")
	}
	listed := make(chan int)
	go func() { listed <- len(table.list()) }()
	select {
	case n := <-listed:
		if n != 3 {
			t.Errorf("list gave %d peers, want 3", n)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a stuck log handler holds up the peer table")
	}

	closed := make(chan struct{})
	go func() { table.close(); close(closed) }()
	close(h.release)
	select {
	case <-closed:
	case <-time.After(5 * time.Second):
		t.Fatal("the table did not close once the log let go")
	}
	if n := h.handled.Load(); n != 3 {
		t.Errorf("%d lines written by the time the table closed, want the 3 joins", n)
	}
	select {
	case <-l.done:
	default:
		t.Error("the event log's goroutine outlived the table")
	}
}
