package mcgossip

import "sync/atomic"

// eventBuffer is the capacity of a subscriber's channel.
const eventBuffer = 256

// subscriber is a watcher of the peer table that passes its events on to
// a channel of Engine.Events, without blocking.
type subscriber struct {
	ch      chan Event
	dropped *atomic.Uint64 // counts the events that did not fit
}

func (s *subscriber) peerEvent(ev Event) {
	select {
	case s.ch <- ev:
	default:
		s.dropped.Add(1)
	}
}

func (s *subscriber) tableClosed() { close(s.ch) }

// Events subscribes to changes of the peer table: joins, updates, leaves
// and expiries. The channel has a buffer; an event that does not fit is
// dropped (and counted in Stats.EventsDropped), so read it promptly. The
// returned function unsubscribes and closes the channel; Close closes it
// too.
func (e *Engine) Events() (<-chan Event, func()) {
	s := &subscriber{ch: make(chan Event, eventBuffer), dropped: &e.ctr.eventsDropped}
	if _, ok := e.table.watch(s); !ok {
		close(s.ch)
		return s.ch, func() {}
	}
	return s.ch, func() {
		if e.table.unwatch(s) {
			close(s.ch)
		}
	}
}

// Peers returns the live peers, sorted by address, port and id. Self is
// never among them.
func (e *Engine) Peers() []Peer { return e.table.list() }

// Stats returns the engine's counters.
func (e *Engine) Stats() Stats { return e.ctr.stats(e.table.len()) }
