package mcgossip

import (
	"net/netip"
	"sync"
	"time"

	"github.com/mcgossip/go-discover-mcgossip/provider/mcgossip/wire"
)

// maxVerifyQueue bounds the verification queries waiting to be sent: twice
// the largest group, whose members may all announce for the first time
// within a second (a group that starts together); a candidate dropped
// here is verified only at its next heartbeat.
const maxVerifyQueue = 2 * maxGroup

// verifier plans the verification of candidates: an announce from an
// instance that is not a live peer is not believed, the instance is asked
// by a unicast query to its sealed endpoint, and only its answer makes it
// a peer. Verification is rate-limited per instance (one query per every)
// and bounded in all (maxVerifyQueue waiting; the pending registry bounds
// the ids that wait for answers).
type verifier struct {
	mu    sync.Mutex
	last  map[wire.InstanceID]time.Time // when each candidate was last asked
	queue []verifyJob
	every time.Duration
	// pruned is when last was last pruned of the candidates that may be
	// asked again.
	pruned time.Time
}

// verifyJob is a verification query to send.
type verifyJob struct {
	dst netip.AddrPort // the candidate's sealed endpoint
	via arrival        // where its announce came in, for our endpoint
}

func newVerifier(every time.Duration) *verifier {
	return &verifier{last: make(map[wire.InstanceID]time.Time), every: every}
}

// add plans a verification query to candidate id at its sealed endpoint
// dst, unless it was asked less than every ago or the queue is full. It
// reports whether it did.
func (v *verifier) add(id wire.InstanceID, dst netip.AddrPort, via arrival, now time.Time) bool {
	v.mu.Lock()
	defer v.mu.Unlock()
	if at, ok := v.last[id]; ok && now.Sub(at) < v.every {
		return false
	}
	if len(v.last) >= maxPending && now.Sub(v.pruned) >= v.every {
		v.prune(now)
	}
	if len(v.queue) >= maxVerifyQueue || len(v.last) >= maxPending {
		return false
	}
	v.last[id] = now
	v.queue = append(v.queue, verifyJob{dst: dst, via: via})
	return true
}

// take removes and returns the queries to send.
func (v *verifier) take() []verifyJob {
	v.mu.Lock()
	defer v.mu.Unlock()
	q := v.queue
	v.queue = nil
	return q
}

// backlog returns the number of queries waiting to be sent.
func (v *verifier) backlog() int {
	v.mu.Lock()
	defer v.mu.Unlock()
	return len(v.queue)
}

// sweep forgets the candidates asked long enough ago to be asked again.
func (v *verifier) sweep(now time.Time) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.prune(now)
}

// prune is sweep with v.mu held.
func (v *verifier) prune(now time.Time) {
	v.pruned = now
	for id, at := range v.last {
		if now.Sub(at) >= v.every {
			delete(v.last, id)
		}
	}
}
