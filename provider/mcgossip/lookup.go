package mcgossip

import (
	"slices"
	"sync"
	"time"

	"github.com/mcgossip/go-discover-mcgossip/provider/mcgossip/wire"
)

// watchTable makes a lookup that watches the peer table t, knowing its
// live peers but those that local tells are this host's (nil: none); ok
// is false once t is closed.
func watchTable(t *peerTable, local func(Peer) bool) (_ *lookup, ok bool) {
	l := &lookup{
		known: make(map[wire.InstanceID]bool),
		found: make(map[wire.InstanceID]struct{}),
		sig:   make(chan struct{}, 1),
		local: local,
	}
	// The table tells l of changes with the table's lock held and then
	// takes l's; here l's is taken first, which cannot deadlock because
	// the table knows nothing of l before watch returns. It keeps the
	// events that follow waiting until l knows the peers they change.
	l.mu.Lock()
	defer l.mu.Unlock()
	live, ok := t.watch(l)
	for _, p := range live {
		if !l.isLocal(p) {
			l.known[p.ID] = true
			l.alive++
		}
	}
	return l, ok
}

// lookup is the state of one running lookup. It learns of the table's
// changes as a watcher and of the answers to its queries as an
// answerSink; its fields are its own, guarded by mu.
type lookup struct {
	mu      sync.Mutex
	queries []wire.QueryID
	// known: the live peers when the lookup started and those that joined
	// since; false once one left or expired.
	known map[wire.InstanceID]bool
	alive int // the true values of known
	// found: peers that answered one of this lookup's queries.
	found   map[wire.InstanceID]struct{}
	news    int       // peers added to known since the lookup last looked
	lastNew time.Time // when the last one was
	// lossy: a peer's first answer in this lookup was to a query after
	// the first, so datagrams are being lost.
	lossy bool
	// members and fewest are the most and the fewest live members an
	// answer reported (its sender included, and this host's peers: they
	// answer, and are found, like any other); rounds[r-1] what the
	// answers to round r tell.
	members, fewest int
	rounds          []roundAnswers
	sig             chan struct{}
	// local tells the peers at this host's addresses, which the lookup
	// neither counts as known (expect) nor returns (nil: none); leftOut
	// are those its result left out.
	local   func(Peer) bool
	leftOut []Peer
}

// roundAnswers is what the answers to one query of a lookup tell.
type roundAnswers struct {
	sent time.Time // when the query was sent
	// window is the largest window an answer reported having used, late
	// the most an answer came after the end of its window (from sent).
	window, late time.Duration
	answers      int
}

// lookupState is what a lookup has learnt since it last looked.
type lookupState struct {
	known, news int
	lastNew     time.Time
	lossy       bool
	// found is how many peers answered the lookup's queries; members the
	// most live members an answer reported, agree whether every answer
	// reported that many.
	found, members int
	agree          bool
	// late is how late the answers of the latest round that had any came
	// after the end of their window: the lookup's measure of its network's
	// and its responders' delays.
	late time.Duration
}

func (l *lookup) peerEvent(ev Event) {
	l.mu.Lock()
	defer l.mu.Unlock()
	id := ev.Peer.ID
	alive, seen := l.known[id]
	switch ev.Kind {
	case EventJoin:
		if l.isLocal(ev.Peer) {
			break // not counted, so never in known
		}
		if !seen {
			l.news++
			l.lastNew = ev.Time
			l.signal()
		}
		if !alive {
			l.known[id] = true
			l.alive++
		}
	case EventLeave, EventExpire:
		if alive {
			l.known[id] = false
			l.alive--
		}
	}
}

func (l *lookup) tableClosed() { l.signal() }

func (l *lookup) answered(id wire.InstanceID, round int, window time.Duration, members int, at time.Time, live bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.members == 0 {
		l.fewest = members
	}
	l.members, l.fewest = max(l.members, members), min(l.fewest, members)
	if round >= 1 && round <= len(l.rounds) {
		r := &l.rounds[round-1]
		r.window = max(r.window, window)
		r.late = max(r.late, at.Sub(r.sent)-window)
		r.answers++
	}
	if _, ok := l.found[id]; ok || !live {
		return
	}
	if round > 1 {
		// The peer's first answer in this lookup is to a later query: its
		// earlier answers, or the queries, were lost. (A late answer to
		// the first query is no loss.)
		l.lossy = true
	}
	l.found[id] = struct{}{}
	l.signal() // the lookup may now know it has everyone
}

// signal wakes the lookup without blocking.
func (l *lookup) signal() {
	select {
	case l.sig <- struct{}{}:
	default:
	}
}

// addQuery records query q, sent at now, and returns its round, from 1.
func (l *lookup) addQuery(q wire.QueryID, now time.Time) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.queries = append(l.queries, q)
	l.rounds = append(l.rounds, roundAnswers{sent: now})
	return len(l.queries)
}

// window returns the largest window the answers to round r reported, 0
// for none yet.
func (l *lookup) window(r int) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	if r < 1 || r > len(l.rounds) {
		return 0
	}
	return l.rounds[r-1].window
}

// foundIDs returns the ids of the peers that answered the lookup.
func (l *lookup) foundIDs() []wire.InstanceID {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]wire.InstanceID, 0, len(l.found))
	for id := range l.found {
		out = append(out, id)
	}
	return out
}

// queryIDs returns the lookup's query ids.
func (l *lookup) queryIDs() []wire.QueryID {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.queries)
}

// take returns what the lookup learnt and starts counting news anew.
func (l *lookup) take() lookupState {
	l.mu.Lock()
	defer l.mu.Unlock()
	st := lookupState{known: l.alive, news: l.news, lastNew: l.lastNew, lossy: l.lossy,
		found: len(l.found), members: l.members, agree: l.fewest == l.members}
	for i := len(l.rounds) - 1; i >= 0; i-- {
		if l.rounds[i].answers > 0 {
			st.late = max(l.rounds[i].late, 0)
			break
		}
	}
	l.news = 0
	return st
}

// summary returns how many of peers answered the lookup, and how many
// queries it sent.
func (l *lookup) summary(peers []Peer) (answered, queries int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, p := range peers {
		if _, ok := l.found[p.ID]; ok {
			answered++
		}
	}
	return answered, len(l.queries)
}

// isLocal reports whether p is at one of this host's addresses and left
// out of the lookup.
func (l *lookup) isLocal(p Peer) bool { return l.local != nil && l.local(p) }

// dropLocal returns peers without those at this host's addresses, and
// remembers those it left out.
func (l *lookup) dropLocal(peers []Peer) []Peer {
	if l.local == nil {
		return peers
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.leftOut = l.leftOut[:0]
	return slices.DeleteFunc(peers, func(p Peer) bool {
		if l.local(p) {
			l.leftOut = append(l.leftOut, p)
			return true
		}
		return false
	})
}

// left returns the peers the last result left out.
func (l *lookup) left() []Peer {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.leftOut)
}
