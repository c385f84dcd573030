package mcgossip

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"time"

	"github.com/mcgossip/go-discover-mcgossip/provider/mcgossip/wire"
)

// maxEmptyGap is the longest pause between queries while a lookup has
// found nobody yet.
const maxEmptyGap = 500 * time.Millisecond

// lossRounds is how many rounds that bring nobody new a lookup still asks
// once it has seen loss (a peer whose first answer in the lookup is to a
// query after the first: its earlier answers or the queries were lost). Without loss a
// lookup stops after the first empty round; with 30% loss each way, one
// exchange fails about half the time, and every further round halves the
// share of the missing peers it leaves behind.
const lossRounds = 2

// DiscoverOption changes one lookup of Engine.Discover.
type DiscoverOption func(*discoverOptions)

type discoverOptions struct {
	timeout, stable time.Duration
	expect          int
}

// WithTimeout bounds the lookup (default Config.Timeout). A deadline of the
// context given to Discover bounds it too.
func WithTimeout(d time.Duration) DiscoverOption {
	return func(o *discoverOptions) { o.timeout = d }
}

// WithStable sets how long no new peer must turn up before the lookup
// returns (default Config.Stable).
func WithStable(d time.Duration) DiscoverOption {
	return func(o *discoverOptions) { o.stable = d }
}

// WithExpect makes the lookup return as soon as n peers are known, and not
// before unless at the timeout; 0 turns it off (default Config.Expect).
func WithExpect(n int) DiscoverOption {
	return func(o *discoverOptions) { o.expect = n }
}

// discovery is the state of one running lookup; its fields are guarded by
// the engine's mu, except sig.
type discovery struct {
	queries []wire.QueryID
	// found: peers that answered one of this lookup's queries.
	found map[wire.InstanceID]struct{}
	// seen: the live peers when the lookup started and those that
	// joined since.
	seen    map[wire.InstanceID]struct{}
	news    int       // peers added to seen since the lookup last looked
	lastNew time.Time // when the last one was
	// lossy: a peer's first answer in this lookup was to a query after
	// the first, so datagrams are being lost.
	lossy bool
	sig   chan struct{}
}

// signal wakes the lookup without blocking.
func (d *discovery) signal() {
	select {
	case d.sig <- struct{}{}:
	default:
	}
}

// Discover looks the group up, as Provider.Addrs does: it multicasts a
// query and collects the answers (each peer answers after a random delay
// of up to AnswerJitter, unicast). While a round of answers brings new
// peers, it asks again (answers get lost), and once a peer answered a later
// query but none before (so datagrams are being lost), it also asks again
// after up to two rounds that brought nobody; it returns once no new peer
// has turned up for the stable period after the last round's answer window, or
// as soon as expect peers are known, or at the timeout with what it has.
// With expect set, stable does not end the lookup: it waits for expect
// peers or the timeout. While nobody (or fewer than expect) has answered,
// it keeps asking, with growing pauses, until the timeout.
//
// The result holds the peers that answered this lookup's own queries (a
// replayed datagram cannot answer a fresh query id) and the live peers that
// answered an earlier query of this engine, sorted by address, port and
// id; never this engine itself. Reaching the timeout is not an error; if
// nothing was found and not even this engine's own datagrams came back,
// the error wraps ErrMulticastUnavailable and says what to check. A
// cancelled ctx returns what was found with ctx's error.
func (e *Engine) Discover(ctx context.Context, opts ...DiscoverOption) ([]Peer, error) {
	o := discoverOptions{timeout: e.cfg.Timeout, stable: e.cfg.Stable, expect: e.cfg.Expect}
	for _, opt := range opts {
		opt(&o)
	}
	if o.timeout <= 0 {
		o.timeout = e.cfg.Timeout
	}
	o.expect = max(o.expect, 0)
	ctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()
	start := time.Now()
	d := &discovery{
		found: make(map[wire.InstanceID]struct{}),
		seen:  make(map[wire.InstanceID]struct{}),
		sig:   make(chan struct{}, 1),
	}
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		return nil, ErrClosed
	}
	for id, mb := range e.members {
		if mb.state == PeerAlive {
			d.seen[id] = struct{}{}
		}
	}
	e.discs[d] = struct{}{}
	e.mu.Unlock()
	defer func() {
		e.mu.Lock()
		delete(e.discs, d)
		exp := time.Now().Add(queryGrace)
		for _, q := range d.queries {
			if pq := e.pending[q]; pq != nil {
				pq.disc, pq.expires = nil, exp
			}
		}
		e.mu.Unlock()
	}()

	window := e.cfg.AnswerJitter + answerGrace
	emptyGap := window
	lastNew := start
	roundNew := 0
	emptyRounds := 0
	sentAt := time.Now()
	if err := e.query(d); errors.Is(err, ErrClosed) {
		return nil, err
	}
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		e.mu.Lock()
		known := e.knownLocked(d)
		if d.news > 0 {
			roundNew += d.news
			lastNew = d.lastNew
			d.news = 0
		}
		lossy := d.lossy
		e.mu.Unlock()
		if o.expect > 0 && known >= o.expect {
			break
		}
		now := time.Now()
		windowEnd := sentAt.Add(window)
		var next time.Time
		switch {
		case now.Before(windowEnd):
			next = windowEnd
		case roundNew > 0:
			// New peers turned up: others' answers may have been lost.
			roundNew, emptyRounds, sentAt = 0, 0, now
			e.query(d)
			continue
		case known > 0 && o.expect == 0 && lossy && emptyRounds < lossRounds:
			// An empty round on a lossy network: ask again.
			emptyRounds++
			sentAt = now
			e.query(d)
			continue
		case known > 0 && o.expect == 0:
			stableAt := lastNew.Add(o.stable)
			if !now.Before(stableAt) {
				return e.result(d, start), nil
			}
			next = stableAt
		default:
			// Nobody yet, or fewer than expected: keep asking, with
			// growing pauses.
			if at := sentAt.Add(emptyGap); now.Before(at) {
				next = at
				break
			}
			emptyGap = min(2*emptyGap, maxEmptyGap)
			sentAt = now
			e.query(d)
			continue
		}
		timer.Reset(next.Sub(now))
		select {
		case <-timer.C:
		case <-d.sig:
		case <-e.done:
			return nil, ErrClosed
		case <-ctx.Done():
			peers := e.result(d, start)
			if err := ctx.Err(); !errors.Is(err, context.DeadlineExceeded) {
				return peers, err
			}
			if len(peers) == 0 {
				if err := e.multicastProblem(); err != nil {
					return nil, fmt.Errorf("discover-mcgossip: no peers found in %v: %w", o.timeout, err)
				}
			}
			return peers, nil
		}
	}
	return e.result(d, start), nil
}

// query multicasts a new query of lookup d.
func (e *Engine) query(d *discovery) error {
	q := newQueryID()
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		return ErrClosed
	}
	d.queries = append(d.queries, q)
	e.pending[q] = &pendingQuery{disc: d, round: len(d.queries)}
	e.mu.Unlock()
	return e.send(wire.TypeQuery, q, netip.AddrPort{})
}

// knownLocked counts the live peers of lookup d. e.mu is held.
func (e *Engine) knownLocked(d *discovery) int {
	n := 0
	for id := range d.seen {
		if mb := e.members[id]; mb != nil && mb.state == PeerAlive {
			n++
		}
	}
	return n
}

// result returns lookup d's live peers, and logs the lookup.
func (e *Engine) result(d *discovery, start time.Time) []Peer {
	e.mu.Lock()
	out := make([]Peer, 0, len(d.seen))
	answered := 0
	for id, mb := range e.members {
		if mb.state != PeerAlive {
			continue
		}
		_, ok := d.found[id]
		if ok {
			answered++
		}
		out = append(out, mb.peer())
	}
	queries := len(d.queries)
	e.mu.Unlock()
	slices.SortFunc(out, comparePeers)
	e.log.printf(levelDebug, "lookup found %d peers (%d answered its %d queries) in %v",
		len(out), answered, queries, time.Since(start).Round(time.Millisecond))
	return out
}
