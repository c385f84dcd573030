package mcgossip

import (
	"sync"
	"time"

	"github.com/mcgossip/go-discover-mcgossip/provider/mcgossip/wire"
)

// pendingQueries is the registry of this engine's query ids whose answers
// it accepts: a lookup's while it runs (and queryGrace after), a
// background or verification query's for queryGrace. Only an answer that
// echoes one of them can make a peer.
type pendingQueries struct {
	mu sync.Mutex
	m  map[wire.QueryID]pendingQuery
	// nexp counts the ids that expire (no running lookup holds them); at
	// most maxPending of them.
	nexp int
	due  due // the earliest expiry
}

// pendingQuery is a query of ours whose answers are accepted.
type pendingQuery struct {
	owner answerSink // the running lookup it belongs to, or nil
	round int        // which of owner's queries it is, from 1
	// expires is when to forget it, once no lookup holds it.
	expires time.Time
}

// answerSink is told about the answers to the queries of a running lookup:
// who answered which round, with the window it used and the members it
// knows, when the answer came, and whether its sender is in the peer
// table now (an older answer makes nobody a peer). answered must not
// block and must not call the registry.
type answerSink interface {
	answered(id wire.InstanceID, round int, window time.Duration, members int, at time.Time, live bool)
}

// maxPending bounds the query ids that may wait for answers without a
// running lookup (those of verification and background queries, and of
// ended lookups); a running lookup's own are always registered.
const maxPending = 4096

func newPendingQueries() *pendingQueries {
	return &pendingQueries{m: make(map[wire.QueryID]pendingQuery)}
}

// hold registers q as the round-th query of a running lookup.
func (p *pendingQueries) hold(q wire.QueryID, owner answerSink, round int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.m[q] = pendingQuery{owner: owner, round: round}
}

// expiring registers q until exp, unless maxPending ids expire already.
// It reports whether q was registered and whether the due time moved
// earlier.
func (p *pendingQueries) expiring(q wire.QueryID, exp time.Time) (ok, earlier bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.nexp >= maxPending {
		return false, false
	}
	p.m[q] = pendingQuery{expires: exp}
	p.nexp++
	return true, p.due.by(exp)
}

// release lets a lookup's query ids expire at exp: late answers still
// count for the table.
func (p *pendingQueries) release(qs []wire.QueryID, exp time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, q := range qs {
		if pq, ok := p.m[q]; ok && pq.owner != nil {
			p.m[q] = pendingQuery{expires: exp}
			p.nexp++
		}
	}
	p.due.by(exp)
}

// get returns the registration of q.
func (p *pendingQueries) get(q wire.QueryID) (pendingQuery, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	pq, ok := p.m[q]
	return pq, ok
}

// nextDue returns when the next id expires, the zero time for none.
func (p *pendingQueries) nextDue() time.Time {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.due.at
}

// sweep forgets the expired ids.
func (p *pendingQueries) sweep(now time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.due = due{}
	for q, pq := range p.m {
		switch {
		case pq.owner != nil:
		case !now.Before(pq.expires):
			delete(p.m, q)
			p.nexp--
		default:
			p.due.by(pq.expires)
		}
	}
}

// len returns the number of registered ids.
func (p *pendingQueries) len() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.m)
}
