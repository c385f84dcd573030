package mcgossip

import (
	"container/heap"
	"net/netip"
	"sync"
	"time"

	"github.com/mcgossip/go-discover-mcgossip/provider/mcgossip/wire"
)

// Bounds of the answerer.
const (
	// maxAnswerBacklog bounds the answers waiting for their random delay:
	// twice the largest group, whose members all start at once (each
	// sends a background query at start-up, and a member's loop may lag
	// behind its readers on a busy machine; at 1024, 2000 members starting
	// together in the benchmark's lab left tables short for minutes).
	maxAnswerBacklog = 2 * maxGroup
	// maxAnswered bounds the query ids remembered as answered: about 900
	// queries a second for rememberFor.
	maxAnswered = 1 << 16
)

// answerer schedules this engine's answers: each query id is answered at
// most once, after a random delay within the query's window (or, when it
// asks for none, within answerWindow of the members this engine knows), to
// the query's sealed endpoint. The ids stay remembered for rememberFor,
// longer than the query passes the time check.
type answerer struct {
	mu       sync.Mutex
	queue    answerQueue
	answered map[wire.QueryID]time.Time // when each id may be forgotten
	floor    time.Duration              // the smallest window sized here (AnswerJitter)
}

// answerJob is an answer waiting for its random delay.
type answerJob struct {
	due time.Time
	q   wire.QueryID
	// querier is the query's sender, whom the answer's count leaves out.
	querier wire.InstanceID
	// dst is the query's sealed endpoint, the answer's only destination.
	dst netip.AddrPort
	// via is where the query came in: the interface, and on the unicast
	// socket the local address it was sent to; the answer seals the
	// endpoint of that interface.
	via arrival
	// window is the answer window used, which the answer tells.
	window time.Duration
}

// arrival is where a datagram came in.
type arrival struct {
	ifindex int        // the interface, 0 when unknown
	local   netip.Addr // the local unicast address it was sent to, or invalid
}

func newAnswerer(floor time.Duration) *answerer {
	return &answerer{answered: make(map[wire.QueryID]time.Time), floor: floor}
}

// window returns the answer window for a query that asked for asked (0:
// none; at most maxAnswerJitter is granted) when this engine knows members
// live members, itself included.
func (a *answerer) window(asked time.Duration, members int) time.Duration {
	if asked > 0 {
		return min(asked, maxAnswerJitter)
	}
	return answerWindow(members, a.floor)
}

// schedule plans the answer to query q, which asked for the window asked
// (see window), when this engine knows members live members. It returns
// dropAnswered when q was answered already and dropBacklog when too many
// answers wait, and whether the next due time moved earlier.
func (a *answerer) schedule(q wire.QueryID, querier wire.InstanceID, asked time.Duration, members int, dst netip.AddrPort, via arrival, now time.Time) (earlier bool, r dropReason) {
	w := a.window(asked, members)
	j := answerJob{due: now.Add(randDuration(w)), q: q, querier: querier, dst: dst, via: via, window: w}
	a.mu.Lock()
	defer a.mu.Unlock()
	if _, ok := a.answered[q]; ok {
		return false, dropAnswered
	}
	if len(a.queue) >= maxAnswerBacklog || len(a.answered) >= maxAnswered {
		return false, dropBacklog
	}
	a.answered[q] = now.Add(rememberFor)
	heap.Push(&a.queue, j)
	return a.queue[0].q == q, dropNone
}

// due removes and returns the answers due at now.
func (a *answerer) due(now time.Time) (out []answerJob) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for len(a.queue) > 0 && !a.queue[0].due.After(now) {
		out = append(out, heap.Pop(&a.queue).(answerJob))
	}
	return out
}

// nextDue returns when the next answer is due, the zero time for none.
func (a *answerer) nextDue() time.Time {
	a.mu.Lock()
	defer a.mu.Unlock()
	if len(a.queue) == 0 {
		return time.Time{}
	}
	return a.queue[0].due
}

// sweep forgets the answered ids whose time is up.
func (a *answerer) sweep(now time.Time) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for q, until := range a.answered {
		if now.After(until) {
			delete(a.answered, q)
		}
	}
}

// answerQueue is a min-heap of answerJobs by due time.
type answerQueue []answerJob

func (q answerQueue) Len() int           { return len(q) }
func (q answerQueue) Less(i, j int) bool { return q[i].due.Before(q[j].due) }
func (q answerQueue) Swap(i, j int)      { q[i], q[j] = q[j], q[i] }
func (q *answerQueue) Push(x any)        { *q = append(*q, x.(answerJob)) }
func (q *answerQueue) Pop() any {
	old := *q
	x := old[len(old)-1]
	*q = old[:len(old)-1]
	return x
}
