package mcgossip

import (
	"net/netip"
	"slices"
	"sync"
	"time"

	"github.com/mcgossip/go-discover-mcgossip/provider/mcgossip/wire"
)

// peerTable holds the live peers and their rules:
//
//   - join: an instance becomes a peer only by answering a query of this
//     engine (an answer echoes a fresh random query id, so a replay cannot
//     make one); its heartbeats only keep it.
//   - update: only a datagram newer than the newest one applied changes a
//     peer (its address, port, name, interval), and only heartbeats and
//     answers keep it alive.
//   - expiry: a peer silent for expireIntervals of its own interval (the
//     one it seals in its datagrams) expires.
//   - leave: a signed leave removes the peer at once.
//
// It tells its watchers (lookups, event subscribers) about every change and
// calls nothing else: it knows nothing of the engine, sockets or queries.
type peerTable struct {
	mu       sync.Mutex
	peers    map[wire.InstanceID]*member
	watchers map[watcher]struct{}
	max      int
	closed   bool
	// due is when the next peer expires unless heard from: when sweep has
	// work.
	due due
}

// watcher is told about every change of a peer table. peerEvent runs with
// the table's lock held: it must not block and must not call the table.
type watcher interface {
	peerEvent(ev Event)
	// tableClosed is called once when the table closes, instead of any
	// further event.
	tableClosed()
}

// member is a live peer.
type member struct {
	advert
	lastSeen time.Time // local time of the newest heartbeat or answer
}

// advert is what an authentic datagram says about its sender, all of it
// from the sealed body.
type advert struct {
	id      wire.InstanceID
	counter uint64     // the datagram's counter
	addr    netip.Addr // the address lookups list: advertise, else the endpoint's
	port    uint16
	name    string
	// interval is the sender's heartbeat interval, clamped to the limits
	// of the interval setting.
	interval time.Duration
}

// expireIntervals is how many of its heartbeat intervals of silence expire
// a peer.
const expireIntervals = 3

func newPeerTable(max int) *peerTable {
	return &peerTable{peers: make(map[wire.InstanceID]*member), watchers: make(map[watcher]struct{}), max: max}
}

// expiresAt is when m expires unless it is heard from again.
func (m *member) expiresAt() time.Time {
	return m.lastSeen.Add(expireIntervals*m.interval + time.Millisecond)
}

// peer returns the member as a Peer.
func (m *member) peer(s PeerState) Peer {
	return Peer{ID: m.id, Addr: m.addr, Port: m.port, Name: m.name, LastSeen: m.lastSeen, State: s}
}

// answered applies an answer to a query of ours that is the newest datagram
// of its sender: the sender joins, or is refreshed and updated. It returns
// dropTableFull when a new peer does not fit, and whether the table's due
// time moved earlier (the caller's sweeps must then come sooner).
func (t *peerTable) answered(a *advert, now time.Time) (earlier bool, r dropReason) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return false, dropNone
	}
	m := t.peers[a.id]
	if m == nil {
		if len(t.peers) >= t.max {
			return false, dropTableFull
		}
		m = &member{advert: *a, lastSeen: now}
		t.peers[a.id] = m
		t.emit(EventJoin, m, PeerAlive, now)
		return t.due.by(m.expiresAt()), dropNone
	}
	return t.refresh(m, a, now), dropNone
}

// heartbeat applies an announce that is the newest datagram of its sender
// and reports whether the sender is a live peer (if not, it is a candidate
// for the caller to verify), and whether the due time moved earlier.
func (t *peerTable) heartbeat(a *advert, now time.Time) (live, earlier bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	m := t.peers[a.id]
	if m == nil || t.closed {
		return false, false
	}
	return true, t.refresh(m, a, now)
}

// refresh keeps m alive and takes a's advertisement, if a is newer than
// what m holds. t.mu is held.
func (t *peerTable) refresh(m *member, a *advert, now time.Time) (earlier bool) {
	if a.counter <= m.counter {
		return false // raced by a newer datagram on another socket
	}
	changed := a.addr != m.addr || a.port != m.port || a.name != m.name
	m.advert, m.lastSeen = *a, now
	if changed {
		t.emit(EventUpdate, m, PeerAlive, now)
	}
	return t.due.by(m.expiresAt())
}

// left removes the peer id, which sent a leave with counter c that is its
// newest datagram.
func (t *peerTable) left(id wire.InstanceID, c uint64, now time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if m := t.peers[id]; m != nil && c > m.counter {
		delete(t.peers, id)
		t.emit(EventLeave, m, PeerLeft, now)
	}
}

// nextDue returns when the next peer expires, the zero time for none.
func (t *peerTable) nextDue() time.Time {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.due.at
}

// sweep expires the peers silent for too long; the due time becomes the
// next expiry.
func (t *peerTable) sweep(now time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.due = due{}
	for id, m := range t.peers {
		if at := m.expiresAt(); now.Before(at) {
			t.due.by(at)
			continue
		}
		delete(t.peers, id)
		t.emit(EventExpire, m, PeerExpired, now)
	}
}

// emit tells every watcher about a change of m. t.mu is held.
func (t *peerTable) emit(k EventKind, m *member, s PeerState, now time.Time) {
	if len(t.watchers) == 0 {
		return
	}
	ev := Event{Kind: k, Peer: m.peer(s), Time: now}
	for w := range t.watchers {
		w.peerEvent(ev)
	}
}

// list returns the live peers, sorted by address, port and id.
func (t *peerTable) list() []Peer {
	t.mu.Lock()
	out := make([]Peer, 0, len(t.peers))
	for _, m := range t.peers {
		out = append(out, m.peer(PeerAlive))
	}
	t.mu.Unlock()
	slices.SortFunc(out, comparePeers)
	return out
}

// has reports whether id is a live peer.
func (t *peerTable) has(id wire.InstanceID) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	_, ok := t.peers[id]
	return ok
}

// lenWithout returns the number of live peers other than id.
func (t *peerTable) lenWithout(id wire.InstanceID) int {
	t.mu.Lock()
	defer t.mu.Unlock()
	n := len(t.peers)
	if _, ok := t.peers[id]; ok {
		n--
	}
	return n
}

// len returns the number of live peers.
func (t *peerTable) len() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.peers)
}

// watch adds w to the watchers and returns the live peers at that moment,
// or ok false once the table is closed.
func (t *peerTable) watch(w watcher) (live []Peer, ok bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return nil, false
	}
	t.watchers[w] = struct{}{}
	for _, m := range t.peers {
		live = append(live, m.peer(PeerAlive))
	}
	return live, true
}

// unwatch removes w and reports whether it was watching; from then on it
// is told nothing.
func (t *peerTable) unwatch(w watcher) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	_, ok := t.watchers[w]
	delete(t.watchers, w)
	return ok
}

// close tells every watcher that the table closed and forgets them; the
// table changes no more.
func (t *peerTable) close() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.closed = true
	for w := range t.watchers {
		w.tableClosed()
		delete(t.watchers, w)
	}
}
