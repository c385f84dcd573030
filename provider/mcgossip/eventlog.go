package mcgossip

import (
	"sync/atomic"
	"time"
)

// eventLogBuffer is how many peer changes may wait for the debug log.
const eventLogBuffer = 1024

// eventLog is a watcher of the peer table that logs its changes (debug).
// The table tells it of a change with its lock held, so it only queues the
// change there; its own goroutine writes the lines, so that a slow log
// handler never holds up the table (and with it the receive path). A
// change that finds the queue full is counted, and the count logged with
// the next line.
type eventLog struct {
	g       *logs
	queue   chan Event
	dropped atomic.Uint64
	done    chan struct{} // closed when the goroutine has ended
}

// newEventLog returns an eventLog with its goroutine running; it ends when
// the table closes.
func newEventLog(g *logs) *eventLog {
	l := &eventLog{g: g, queue: make(chan Event, eventLogBuffer), done: make(chan struct{})}
	go l.run()
	return l
}

func (l *eventLog) peerEvent(ev Event) {
	if !l.g.enabled(levelDebug) {
		return
	}
	select {
	case l.queue <- ev:
	default:
		l.dropped.Add(1)
	}
}

// tableClosed ends the goroutine once it has written what is queued, so
// that no goroutine of the engine outlives Close.
func (l *eventLog) tableClosed() {
	close(l.queue)
	<-l.done
}

// run writes the queued changes until the queue is closed.
func (l *eventLog) run() {
	defer close(l.done)
	for ev := range l.queue {
		if n := l.dropped.Swap(0); n > 0 {
			l.g.printf(levelDebug, "%d peer changes were not logged: the log fell behind", n)
		}
		l.write(ev)
	}
}

// write logs one change of the table.
func (l *eventLog) write(ev Event) {
	p := ev.Peer
	attrs := fields("peer", p)
	switch ev.Kind {
	case EventJoin:
		l.g.logf(levelDebug, attrs, "peer %s joined: %s", shortID(p.ID), peerText(p))
	case EventUpdate:
		l.g.logf(levelDebug, attrs, "peer %s now advertises %s", shortID(p.ID), peerText(p))
	case EventLeave:
		l.g.logf(levelDebug, attrs, "peer %s (%s) left", shortID(p.ID), peerText(p))
	case EventExpire:
		silent := ev.Time.Sub(p.LastSeen).Round(time.Millisecond)
		l.g.logf(levelDebug, append(attrs, fields("silent_for", silent)...), "peer %s (%s) expired: silent for %v", shortID(p.ID), peerText(p), silent)
	}
}
