package mcgossip

import "sync/atomic"

// Stats are an engine's counters since it started.
type Stats struct {
	// Received counts the datagrams read from the sockets.
	Received uint64
	// Accepted counts the datagrams that opened, were fresh, and were used.
	// Every received datagram is counted once: in Accepted, in Loopback or
	// in Dropped.
	Accepted uint64
	// Loopback counts this engine's own multicast datagrams that came back
	// (proof that multicast works on the interface).
	Loopback uint64
	// Sent counts the datagrams sent, SendErrors the sends that failed.
	Sent, SendErrors uint64
	// Dropped counts the dropped datagrams by reason; every reason is
	// present, zero or not. The reasons are the codec's (the names of
	// wire.Reasons: short, magic, version, type, too_large, unknown_key,
	// auth, body) and the engine's: not_group, wrong_socket, stale,
	// no_endpoint, replay_full, left, replay, older, unsolicited, answered,
	// answer_backlog, table_full and other.
	Dropped map[string]uint64
	// SourceMismatch counts the authentic datagrams whose UDP source was
	// not the endpoint sealed in them (NAT, policy routing, or a replay
	// from elsewhere). They are not dropped: the engine never replies to a
	// source, so the source is only logged (at debug).
	SourceMismatch uint64
	// Silenced counts the queries this engine did not answer because their
	// seen filter holds it (the querier knows it already).
	Silenced uint64
	// EventsDropped counts events not delivered because a subscriber's
	// channel was full.
	EventsDropped uint64
	// Peers is the number of live peers now.
	Peers int
}

// DroppedTotal returns the sum of s.Dropped.
func (s Stats) DroppedTotal() uint64 {
	var n uint64
	for _, v := range s.Dropped {
		n += v
	}
	return n
}

// counters are the atomic counters behind Stats.
type counters struct {
	received, accepted, loopback, sent, sendErrors atomic.Uint64
	sourceMismatch, silenced, eventsDropped        atomic.Uint64
	dropped                                        [numDrops]atomic.Uint64
}

// stats returns the counters as Stats, with peers live peers.
func (c *counters) stats(peers int) Stats {
	s := Stats{
		Received:       c.received.Load(),
		Accepted:       c.accepted.Load(),
		Loopback:       c.loopback.Load(),
		Sent:           c.sent.Load(),
		SendErrors:     c.sendErrors.Load(),
		SourceMismatch: c.sourceMismatch.Load(),
		Silenced:       c.silenced.Load(),
		EventsDropped:  c.eventsDropped.Load(),
		Dropped:        make(map[string]uint64, numDrops-1),
		Peers:          peers,
	}
	for r := dropNone + 1; r < numDrops; r++ {
		s.Dropped[r.String()] = c.dropped[r].Load()
	}
	return s
}
