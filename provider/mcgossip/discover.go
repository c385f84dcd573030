package mcgossip

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/mcgossip/go-discover-mcgossip/provider/mcgossip/wire"
)

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

// WithStable makes the lookup return once no new peer has turned up for d
// after its last round, instead of as soon as the answers show it has
// every member (see Discover); 0, the default (Config.Stable), lets the
// answers decide.
func WithStable(d time.Duration) DiscoverOption {
	return func(o *discoverOptions) { o.stable = d }
}

// WithExpect makes the lookup return as soon as n peers are known, and not
// before unless at the timeout; 0 turns it off (default Config.Expect).
func WithExpect(n int) DiscoverOption {
	return func(o *discoverOptions) { o.expect = n }
}

// Discover looks the group up, as Provider.Addrs does: it multicasts a
// query and collects the answers, which each peer sends once, unicast,
// after a random delay within the query's answer window (window.go: sized
// from the number of peers expected, a few milliseconds for a small group,
// 40 ms for 2000). Every answer reports the window used and how many live
// members its sender knows. The lookup asks in rounds, as roundPlan
// (rounds.go) decides: it returns as soon as the peers that answered are
// as many as the largest such count, while no loss was seen; otherwise
// when a round ends (its window, a grace and the lateness its answers
// showed) it asks again while members are missing, naming in a seen filter
// the peers that answered, so only the missing ones answer, within a
// window sized for them; it returns once a round brings nobody new (after
// a second such round while a counted member is missing, up to lossRounds
// once loss was seen), with expect as soon as expect peers are known, and
// at the timeout at the latest. With stable set it returns instead once no
// new peer has turned up for stable after its last round. While nobody
// (or fewer than expect) has answered, it keeps asking, with growing
// pauses, until the timeout.
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
	o.stable = max(o.stable, 0)
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
		e.releaseAnnounce()
		if o.heard != nil {
			*o.heard = e.heardSince(mark, l)
		}
	}()

	plan := newRoundPlan(o, e.cfg.AnswerJitter, start)
	st := l.take()
	if err := e.query(l, plan, plan.firstWindow(st), st); errors.Is(err, ErrClosed) {
		return nil, err
	}
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		st = l.take()
		now := e.now()
		what, at, w := plan.next(now, st, l.window(plan.round))
		switch what {
		case stepDone:
			e.settle(now)
			return e.result(l, start, st), nil
		case stepAsk:
			if err := e.query(l, plan, w, st); errors.Is(err, ErrClosed) {
				return nil, err
			}
			continue
		}
		timer.Reset(at.Sub(now))
		select {
		case <-timer.C:
		case <-l.sig:
		case <-e.done:
			return nil, ErrClosed
		case <-ctx.Done():
			peers := e.result(l, start, l.take())
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

// query multicasts a new query of lookup l that asks for the answer
// window w (0: none, the responders decide) and names, after the first,
// the peers that answered l already in its seen filter.
func (e *Engine) query(l *lookup, plan *roundPlan, w time.Duration, st lookupState) error {
	if e.isClosed() {
		return ErrClosed
	}
	q := newQueryID()
	e.pending.hold(q, l, l.addQuery(q, e.now()))
	e.lookupQueried.Store(true)
	var seen wire.SeenFilter
	if plan.round > 0 {
		seen = seenFilter(q, l.foundIDs())
	}
	plan.sent(e.now(), w, st)
	return e.multicast(wire.TypeQuery, q, wireWindow(w), &seen)
}

// result returns the live peers but this host's (unless the lookup keeps
// them), and logs the lookup.
func (e *Engine) result(l *lookup, start time.Time, st lookupState) []Peer {
	out := l.dropLocal(e.table.list())
	answered, queries := l.summary(out)
	took := e.now().Sub(start).Round(time.Millisecond)
	e.log.logf(levelDebug, fields("found", len(out), "answered", answered, "queries", queries, "members", st.members, "took", took),
		"lookup found %d peers (%d answered its %d queries; the answers counted %d members) in %v",
		len(out), answered, queries, st.members, took)
	return out
}
