package mcgossip

import (
	"sync"
	"time"

	"github.com/mcgossip/go-discover-mcgossip/provider/mcgossip/wire"
)

// replayWindow is a sliding window over one sender's counters (as IPsec's
// anti-replay window): the newest counter accepted and a bitmap of the 64
// counters up to it.
type replayWindow struct {
	max  uint64
	bits uint64 // bit i: counter max-i was accepted
}

// replayWindowSize is how far below the newest counter a late datagram may
// still be accepted.
const replayWindowSize = 64

// accept records counter c and reports whether it is fresh (not accepted
// before, not older than the window) and whether it is the newest so far.
func (w *replayWindow) accept(c uint64) (fresh, newest bool) {
	switch {
	case c > w.max:
		if d := c - w.max; d >= replayWindowSize {
			w.bits = 1
		} else {
			w.bits = w.bits<<d | 1
		}
		w.max = c
		return true, true
	case w.max-c >= replayWindowSize:
		return false, false
	}
	bit := uint64(1) << (w.max - c)
	if w.bits&bit != 0 {
		return false, false
	}
	w.bits |= bit
	return true, false
}

// replayStore keeps the replay state of every instance this engine has
// heard from, peers and lookers alike, apart from the peer table: a
// counter window per instance, and whether it has left. An instance is
// remembered for rememberFor after its last accepted datagram, longer than
// any datagram of it passes the time check, so no datagram is ever
// accepted twice. The store is bounded: when it holds max instances, a new
// one is refused until old ones are forgotten (a sweep).
type replayStore struct {
	mu  sync.Mutex
	m   map[wire.InstanceID]replayEntry
	max int
	t0  time.Time // the origin of replayEntry.last
}

// replayEntry is the replay state of one instance.
type replayEntry struct {
	win replayWindow
	// last is when its last datagram was accepted, as time since t0 (a
	// monotonic duration, so that the map holds no pointers).
	last time.Duration
	// left: a leave was accepted; every later datagram is dropped.
	left bool
}

func newReplayStore(max int, now time.Time) *replayStore {
	return &replayStore{m: make(map[wire.InstanceID]replayEntry), max: max, t0: now}
}

// accept records counter c of instance id, whose datagram is a leave when
// leave is set. It returns dropNone for a fresh datagram, with newest
// telling whether it is the newest of the instance so far, or else why it
// must be dropped: dropReplay (accepted before, or below the window),
// dropLeft (the instance has left) or dropReplayFull (a new instance, and
// the store is full).
func (s *replayStore) accept(id wire.InstanceID, c uint64, leave bool, now time.Time) (newest bool, r dropReason) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.m[id]
	if !ok && len(s.m) >= s.max {
		return false, dropReplayFull
	}
	if e.left {
		return false, dropLeft
	}
	fresh, newest := e.win.accept(c)
	if !fresh {
		return false, dropReplay
	}
	e.last = now.Sub(s.t0)
	e.left = leave
	s.m[id] = e
	return newest, dropNone
}

// sweep forgets the instances whose last datagram was accepted more than
// rememberFor before now.
func (s *replayStore) sweep(now time.Time) {
	cut := now.Sub(s.t0) - rememberFor
	s.mu.Lock()
	defer s.mu.Unlock()
	for id, e := range s.m {
		if e.last < cut {
			delete(s.m, id)
		}
	}
}

// len returns the number of instances remembered.
func (s *replayStore) len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.m)
}
