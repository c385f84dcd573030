package mcgossip

import (
	"context"
	"errors"
	"fmt"
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
	excludeLocal    bool   // WithExcludeLocal
	heard           *Heard // WithHeard
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
// id; never this engine itself, and, unless WithExcludeLocal(false) or
// Config.ExcludeLocal false, no peer at one of this host's addresses
// (WithHeard tells which it left out). Reaching the timeout is not an error; if
// nothing was found and not even this engine's own datagrams came back,
// the error wraps ErrMulticastUnavailable and says what to check. A
// cancelled ctx returns what was found with ctx's error.
func (e *Engine) Discover(ctx context.Context, opts ...DiscoverOption) ([]Peer, error) {
	o := discoverOptions{timeout: e.cfg.Timeout, stable: e.cfg.Stable, expect: e.cfg.Expect, excludeLocal: e.cfg.ExcludeLocal}
	for _, opt := range opts {
		opt(&o)
	}
	if o.timeout <= 0 {
		o.timeout = e.cfg.Timeout
	}
	o.expect = max(o.expect, 0)
	ctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()
	if e.isClosed() {
		return nil, ErrClosed
	}
	start := e.now()
	mark := e.heardMark()
	l, ok := watchTable(e.table, e.localFilter(o.excludeLocal))
	if !ok {
		return nil, ErrClosed
	}
	defer func() {
		e.table.unwatch(l)
		e.pending.release(l.queryIDs(), e.now().Add(queryGrace))
		if o.heard != nil {
			*o.heard = e.heardSince(mark, l)
		}
	}()

	window := e.cfg.AnswerJitter + answerGrace
	emptyGap := window
	lastNew := start
	roundNew := 0
	emptyRounds := 0
	sentAt := e.now()
	if err := e.query(l); errors.Is(err, ErrClosed) {
		return nil, err
	}
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		st := l.take()
		if st.news > 0 {
			roundNew += st.news
			lastNew = st.lastNew
		}
		if o.expect > 0 && st.known >= o.expect {
			break
		}
		now := e.now()
		windowEnd := sentAt.Add(window)
		var next time.Time
		switch {
		case now.Before(windowEnd):
			next = windowEnd
		case roundNew > 0:
			// New peers turned up: others' answers may have been lost.
			roundNew, emptyRounds, sentAt = 0, 0, now
			e.query(l)
			continue
		case st.known > 0 && o.expect == 0 && st.lossy && emptyRounds < lossRounds:
			// An empty round on a lossy network: ask again.
			emptyRounds++
			sentAt = now
			e.query(l)
			continue
		case st.known > 0 && o.expect == 0:
			stableAt := lastNew.Add(o.stable)
			if !now.Before(stableAt) {
				return e.result(l, start), nil
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
			e.query(l)
			continue
		}
		timer.Reset(next.Sub(now))
		select {
		case <-timer.C:
		case <-l.sig:
		case <-e.done:
			return nil, ErrClosed
		case <-ctx.Done():
			peers := e.result(l, start)
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
	return e.result(l, start), nil
}

// isClosed reports whether Close was called.
func (e *Engine) isClosed() bool {
	select {
	case <-e.done:
		return true
	default:
		return false
	}
}

// query multicasts a new query of lookup l, which asks the responders to
// answer within the engine's AnswerJitter.
func (e *Engine) query(l *lookup) error {
	if e.isClosed() {
		return ErrClosed
	}
	q := newQueryID()
	e.pending.hold(q, l, l.addQuery(q))
	var window time.Duration
	if e.cfg.AnswerJitter >= time.Microsecond {
		window = e.cfg.AnswerJitter
	}
	return e.multicast(wire.TypeQuery, q, window)
}

// result returns the live peers but this host's (unless the lookup keeps
// them), and logs the lookup.
func (e *Engine) result(l *lookup, start time.Time) []Peer {
	out := l.dropLocal(e.table.list())
	answered, queries := l.summary(out)
	took := e.now().Sub(start).Round(time.Millisecond)
	e.log.logf(levelDebug, fields("found", len(out), "answered", answered, "queries", queries, "took", took),
		"lookup found %d peers (%d answered its %d queries) in %v", len(out), answered, queries, took)
	return out
}
