package mcgossip

import (
	"container/heap"
	"crypto/rand"
	"errors"
	"fmt"
	"log"
	mrand "math/rand/v2"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mcgossip/go-discover-mcgossip/provider/mcgossip/wire"
)

// Protocol timing and limits.
const (
	// replayTimeWindow is how far a datagram's timestamp may be from our
	// clock.
	replayTimeWindow = 30 * time.Second
	// rememberFor is how long an instance's replay state (its counter
	// window, or its tombstone after a leave or expiry) outlives the last
	// time it was seen: more than twice the timestamp window, so by the
	// time it is forgotten any datagram of it is stale.
	rememberFor = 2*replayTimeWindow + 15*time.Second
	// expireIntervals is how many heartbeat intervals of silence expire a
	// peer.
	expireIntervals = 3
	// maxMembers bounds the table (peers, observers and tombstones).
	maxMembers = 1 << 16
	// maxAnswerBacklog bounds the answers waiting for their random delay.
	maxAnswerBacklog = 1024
	// maxPending bounds the query ids that verification queries may leave
	// waiting for answers (a lookup's own queries are always registered).
	maxPending = 4096
	// answerGrace is added to AnswerJitter for the answer window of a
	// query: the time to wait for answers before deciding on a new round.
	answerGrace = 10 * time.Millisecond
	// queryGrace is how long a query id stays valid for late answers after
	// its lookup ended, or after a background query.
	queryGrace = 2 * time.Second
	// loopbackWait is how long after its first multicast an engine expects
	// to see one of its own datagrams come back.
	loopbackWait = time.Second
	// maxSweepGap is the longest time between two sweeps, which forget
	// tombstones, observers and old query ids; expiries have their own
	// deadlines.
	maxSweepGap = 30 * time.Second
	// eventBuffer is the capacity of a subscriber's channel.
	eventBuffer = 256
	// jitterFraction is the ± jitter of the heartbeat interval.
	jitterFraction = 0.2
)

// burstOffsets are the delays of the start-up announces after the first:
// three announces within half a second, so peers learn of a new engine
// quickly even with some loss.
var burstOffsets = [...][2]time.Duration{{100 * time.Millisecond, 200 * time.Millisecond}, {300 * time.Millisecond, 500 * time.Millisecond}}

// ErrClosed is returned by the methods of a closed Engine.
var ErrClosed = errors.New("discover-mcgossip: engine closed")

// ErrMulticastUnavailable is wrapped by the error of a lookup that found
// nothing while this engine never saw multicast work: not even its own
// datagrams came back.
var ErrMulticastUnavailable = errors.New("multicast looks unavailable")

// Engine is one member of a multicast group: it joins the group, announces
// itself (unless Config.Announce is false), answers queries, keeps a table
// of its peers and looks them up with Discover. Its methods are safe for
// concurrent use.
type Engine struct {
	cfg   Config
	id    wire.InstanceID
	kr    *wire.Keyring
	tr    transport
	log   *logs
	group netip.Addr

	counter   atomic.Uint64 // last counter sent
	ctr       counters
	firstSend atomic.Int64 // unix ns of the first multicast, 0 before
	loopSeen  atomic.Bool  // one of our own multicasts came back
	heard     atomic.Bool  // an authentic multicast of a peer arrived

	mu      sync.Mutex
	members map[wire.InstanceID]*member
	pending map[wire.QueryID]*pendingQuery
	discs   map[*discovery]struct{}
	subs    map[*subscriber]struct{}
	answers answerQueue
	verify  []verifyJob  // verification queries to send
	loopIfs map[int]bool // interfaces our own multicast came back on
	closed  bool
	wakeAt  time.Time // when the timer loop wakes next
	sweepAt time.Time // when the timer loop sweeps next: the earliest expiry, or maxSweepGap

	wake   chan struct{} // the loop re-plans (new earliest answer)
	rejoin chan struct{} // the transport joined again somewhere
	done   chan struct{} // closed by Close
	wg     sync.WaitGroup

	closeOnce sync.Once
	closeErr  error
}

// pendingQuery is a query of ours whose answers are accepted.
type pendingQuery struct {
	disc    *discovery // the lookup it belongs to, nil once that ended
	round   int        // which of disc's queries it is, from 1
	expires time.Time  // when disc is nil: when to forget it
}

// answerJob is an answer waiting for its random delay.
type answerJob struct {
	due time.Time
	dst netip.AddrPort
	q   wire.QueryID
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

type subscriber struct{ ch chan Event }

// NewEngine opens the sockets (on the calling goroutine's thread, so in its
// network namespace, which the engine keeps using for its interface scans),
// joins the group and starts the engine: when cfg.Announce is set it
// announces itself at once and answers queries. A nil logger discards the
// log. Close it when done.
func NewEngine(cfg *Config, l *log.Logger) (*Engine, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	g := newLogs(l)
	kr := keyring(cfg)
	tr, err := newUDPTransport(cfg, g)
	if err != nil {
		return nil, err
	}
	return newEngine(cfg, g, kr, tr)
}

// keyring derives the keys of cfg's cookies (Argon2id; cached per process).
func keyring(cfg *Config) *wire.Keyring {
	var old []*wire.Key
	for _, c := range cfg.OldCookies {
		old = append(old, wire.DeriveKey(c))
	}
	return wire.NewKeyring(wire.DeriveKey(cfg.Cookie), old...)
}

// newEngine starts an engine on a transport.
func newEngine(cfg *Config, g *logs, kr *wire.Keyring, tr transport) (*Engine, error) {
	e := &Engine{
		cfg:     *cfg,
		kr:      kr,
		tr:      tr,
		log:     g,
		group:   cfg.MulticastAddr,
		members: make(map[wire.InstanceID]*member),
		pending: make(map[wire.QueryID]*pendingQuery),
		discs:   make(map[*discovery]struct{}),
		subs:    make(map[*subscriber]struct{}),
		loopIfs: make(map[int]bool),
		sweepAt: time.Now().Add(maxSweepGap),
		wake:    make(chan struct{}, 1),
		rejoin:  make(chan struct{}, 1),
		done:    make(chan struct{}),
	}
	e.cfg.Interfaces = slices.Clone(cfg.Interfaces)
	e.cfg.OldCookies = slices.Clone(cfg.OldCookies)
	e.cfg.Advertise = cfg.Advertise.Unmap() // the wire takes no IPv4-mapped address
	if _, err := rand.Read(e.id[:]); err != nil {
		tr.close()
		return nil, fmt.Errorf("discover-mcgossip: cannot make an instance id: %w", err)
	}
	if w := cookieWarning(cfg.Cookie); w != "" {
		g.printf(levelWarn, "%s", w)
	}
	role := "observing (announce=false)"
	if cfg.Announce {
		role = "announcing " + e.advertised() + " every " + cfg.Interval.String()
	}
	g.printf(levelInfo, "engine %s started on %s:%d (%s), %s, %s", shortID(e.id), cfg.MulticastAddr, cfg.Port,
		strings.Join(e.ifaceNames(), ","), role, e.keyDesc())
	tr.start(e.handle, func(string) {
		select {
		case e.rejoin <- struct{}{}:
		default:
		}
	})
	e.wg.Add(1)
	go e.run()
	return e, nil
}

// sameCookies reports whether the engine uses cfg's cookies.
func (e *Engine) sameCookies(cfg *Config) bool {
	return e.cfg.Cookie == cfg.Cookie && slices.Equal(e.cfg.OldCookies, cfg.OldCookies)
}

// ID returns the engine's random instance id, which its peers see.
func (e *Engine) ID() wire.InstanceID { return e.id }

func shortID(id wire.InstanceID) string { return id.String()[:8] }

func (e *Engine) keyDesc() string {
	keys := e.kr.Keys()
	s := keys[0].String()
	if e.cfg.Cookie == "" {
		s += " (open group)"
	}
	if len(keys) > 1 {
		s += fmt.Sprintf(" and %d older", len(keys)-1)
	}
	return s
}

// advertised describes what this engine announces.
func (e *Engine) advertised() string {
	p := Peer{Addr: e.cfg.Advertise, Port: e.cfg.AdvertisePort}
	if !p.Addr.IsValid() {
		if p.Port == 0 {
			return "its interface address"
		}
		return fmt.Sprintf("its interface address with port %d", p.Port)
	}
	return p.String()
}

func (e *Engine) ifaceNames() []string {
	var n []string
	for _, i := range e.tr.interfaces() {
		n = append(n, i.name)
	}
	return n
}

// setLogger makes l the engine's logger; nil discards the log.
func (e *Engine) setLogger(l *log.Logger) { e.log.l.Store(l) }

// run is the engine's timer loop: heartbeats, delayed answers, expiry and
// the loopback check.
func (e *Engine) run() {
	defer e.wg.Done()
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	now := time.Now()
	nextAnnounce := now
	burst := 0
	loopChecked := false
	for {
		now = time.Now()
		if e.cfg.Announce && !now.Before(nextAnnounce) {
			e.send(wire.TypeAnnounce, wire.QueryID{}, netip.AddrPort{})
			if burst == 0 {
				// Learn the group at once rather than by heartbeats.
				e.backgroundQuery()
			}
			if burst < len(burstOffsets) {
				o := burstOffsets[burst]
				nextAnnounce = now.Add(o[0] + randDuration(o[1]-o[0]))
				if burst > 0 {
					nextAnnounce = nextAnnounce.Add(-burstOffsets[burst-1][0])
				}
			} else {
				nextAnnounce = now.Add(jitter(e.cfg.Interval))
			}
			burst++
		}
		answers, verify := e.dueWork(now)
		for _, j := range answers {
			e.send(wire.TypeAnswer, j.q, j.dst)
		}
		for _, j := range verify {
			e.send(wire.TypeQuery, j.q, j.dst)
		}
		e.mu.Lock()
		if !now.Before(e.sweepAt) {
			e.sweepLocked(now)
		}
		next := e.sweepAt
		if e.cfg.Announce && nextAnnounce.Before(next) {
			next = nextAnnounce
		}
		if len(e.answers) > 0 && e.answers[0].due.Before(next) {
			next = e.answers[0].due
		}
		e.wakeAt = next
		e.mu.Unlock()
		if !loopChecked {
			if fs := e.firstSend.Load(); fs != 0 {
				at := time.Unix(0, fs).Add(loopbackWait)
				if !now.Before(at) {
					loopChecked = true
					if err := e.multicastProblem(); err != nil {
						e.log.printf(levelWarn, "%v", err)
					}
				} else if at.Before(next) {
					next = at
				}
			}
		}
		timer.Reset(max(next.Sub(now), 0))
		select {
		case <-e.done:
			return
		case <-timer.C:
		case <-e.wake:
		case <-e.rejoin:
			if e.cfg.Announce {
				nextAnnounce = time.Now()
			}
		}
	}
}

// jitter returns d ± jitterFraction.
func jitter(d time.Duration) time.Duration {
	f := 1 + jitterFraction*(2*mrand.Float64()-1)
	return time.Duration(float64(d) * f)
}

// randDuration returns a random duration in [0, d].
func randDuration(d time.Duration) time.Duration {
	if d <= 0 {
		return 0
	}
	return time.Duration(mrand.Int64N(int64(d) + 1))
}

// dueWork removes and returns the answers due at now and the
// verification queries to send.
func (e *Engine) dueWork(now time.Time) (due []answerJob, verify []verifyJob) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for len(e.answers) > 0 && !e.answers[0].due.After(now) {
		due = append(due, heap.Pop(&e.answers).(answerJob))
	}
	verify, e.verify = e.verify, nil
	return due, verify
}

// expireAfter is how long a peer may stay silent before it expires.
func (e *Engine) expireAfter() time.Duration { return expireIntervals * e.cfg.Interval }

// sweepLocked expires silent peers and forgets old tombstones, observers
// and query ids, and sets when to sweep next: at the earliest expiry of a
// live peer, and within maxSweepGap. e.mu is held.
func (e *Engine) sweepLocked(now time.Time) {
	expireAfter := e.expireAfter()
	e.sweepAt = now.Add(maxSweepGap)
	for id, mb := range e.members {
		switch mb.state {
		case PeerAlive:
			if silent := now.Sub(mb.lastSeen); silent > expireAfter {
				mb.state, mb.goneAt = PeerExpired, now
				mb.reviveAfter = mb.lastMsg + silent.Milliseconds()
				e.emit(EventExpire, mb, now)
				e.log.printf(levelDebug, "peer %s (%s) expired: silent for %v", shortID(mb.id), mb.peer(), silent.Round(time.Millisecond))
			} else {
				e.sweepBy(mb.expiresAt(expireAfter))
			}
		case PeerExpired, PeerLeft:
			if now.Sub(mb.goneAt) > rememberFor {
				delete(e.members, id)
			}
		default:
			if now.Sub(mb.lastSeen) > rememberFor {
				delete(e.members, id)
			}
		}
	}
	// Sweep again once the remaining expiring query ids are due, but at
	// most once a queryGrace for them.
	var nextPending time.Time
	for q, pq := range e.pending {
		switch {
		case pq.disc != nil:
		case now.After(pq.expires):
			delete(e.pending, q)
		case nextPending.IsZero() || pq.expires.Before(nextPending):
			nextPending = pq.expires
		}
	}
	if !nextPending.IsZero() {
		at := now.Add(queryGrace)
		if nextPending.After(at) {
			at = nextPending
		}
		e.sweepBy(at.Add(time.Millisecond))
	}
}

// sweepBy makes the next sweep happen no later than at, and reports
// whether that moved it earlier. e.mu is held.
func (e *Engine) sweepBy(at time.Time) bool {
	if !at.Before(e.sweepAt) {
		return false
	}
	e.sweepAt = at
	return true
}

// send seals and sends one message: multicast when dst is the zero
// AddrPort, else unicast to dst.
func (e *Engine) send(t wire.Type, q wire.QueryID, dst netip.AddrPort) error {
	now := time.Now()
	m := wire.Message{
		Type:     t,
		Instance: e.id,
		Time:     now,
		Counter:  e.counter.Add(1),
		Query:    q,
		Port:     e.cfg.AdvertisePort,
		Addr:     e.cfg.Advertise,
		Name:     e.cfg.Name,
	}
	bp := sendBufs.Get().(*[]byte)
	defer sendBufs.Put(bp)
	b, err := wire.AppendSeal((*bp)[:0], e.kr, &m, nil)
	if err != nil {
		e.ctr.sendErrors.Add(1)
		e.log.limited(limitSend, levelWarn, "cannot seal a %s: %v", t, err)
		return err
	}
	*bp = b
	to := dst.String()
	if dst.IsValid() {
		err = e.tr.unicast(b, dst)
	} else {
		to = netip.AddrPortFrom(e.group, uint16(e.cfg.Port)).String()
		if e.firstSend.CompareAndSwap(0, now.UnixNano()) {
			e.wakeLoop() // the loop arms the check that our multicast loops back
		}
		err = e.tr.multicast(b)
	}
	if err != nil {
		e.ctr.sendErrors.Add(1)
		e.log.limited(limitSend, levelWarn, "sending a %s to %s: %v", t, to, err)
		return err
	}
	e.ctr.sent.Add(1)
	return nil
}

var sendBufs = sync.Pool{New: func() any { b := make([]byte, 0, wire.MaxDatagram); return &b }}

// newQueryID returns a fresh random query id.
func newQueryID() wire.QueryID {
	var q wire.QueryID
	for q.IsZero() {
		rand.Read(q[:])
	}
	return q
}

// backgroundQuery multicasts a query that belongs to no lookup; its answers
// fill the table.
func (e *Engine) backgroundQuery() {
	q := newQueryID()
	e.mu.Lock()
	e.pending[q] = &pendingQuery{expires: time.Now().Add(queryGrace)}
	e.mu.Unlock()
	e.send(wire.TypeQuery, q, netip.AddrPort{})
}

// handle is the receive path: it runs for every datagram on the
// transport's reader goroutines. Cheap checks come first: a foreign or
// garbage datagram costs a few map lookups and counters, no allocation.
func (e *Engine) handle(p *packet) {
	e.ctr.received.Add(1)
	if !p.src.IsValid() {
		// No source to answer: never let a reply fall back to multicast.
		e.drop(dropNoSource, p)
		return
	}
	if p.group && p.dst != e.group {
		e.drop(dropNotGroup, p)
		return
	}
	var m wire.Message
	if err := wire.Open(e.kr, p.data, &m); err != nil {
		e.drop(dropReason(err), p)
		return
	}
	if m.Instance == e.id {
		if p.group {
			e.ctr.loopback.Add(1)
			if !e.loopSeen.Load() || !e.loopedOn(p.ifindex) {
				e.mu.Lock()
				e.loopIfs[p.ifindex] = true
				e.mu.Unlock()
				e.loopSeen.Store(true)
			}
		}
		return
	}
	now := time.Now()
	if d := now.Sub(m.Time); d > replayTimeWindow || d < -replayTimeWindow {
		e.drop(dropStale, p)
		return
	}
	// Answers come by unicast; announces and leaves by multicast; queries
	// either way (a verification query is unicast).
	if (m.Type == wire.TypeAnswer && p.group) || (!p.group && (m.Type == wire.TypeAnnounce || m.Type == wire.TypeLeave)) {
		e.drop(dropWrongSocket, p)
		return
	}
	e.mu.Lock()
	reason := e.apply(&m, p, now)
	e.mu.Unlock()
	if reason >= 0 {
		e.drop(reason, p)
		return
	}
	e.ctr.accepted.Add(1)
	if p.group && !e.heard.Load() {
		e.heard.Store(true)
	}
}

func (e *Engine) loopedOn(ifindex int) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.loopIfs[ifindex]
}

// drop counts a dropped datagram and logs it, at most once a minute per
// reason.
func (e *Engine) drop(reason int, p *packet) {
	e.ctr.dropped[reason].Add(1)
	if e.log.allow(reason) {
		info := dropInfo[reason]
		e.log.printf(info.level, "dropped a datagram from %s: %s; further drops of this kind are only counted for a minute",
			p.src, info.why)
	}
}

// apply updates the table with an authentic, timely message. It returns
// a drop reason, or -1 when the message was used. e.mu is held.
func (e *Engine) apply(m *wire.Message, p *packet, now time.Time) int {
	if e.closed {
		return -1
	}
	var pq *pendingQuery
	if m.Type == wire.TypeAnswer {
		if pq = e.pending[m.Query]; pq == nil {
			return dropUnsolicited
		}
	}
	mb := e.members[m.Instance]
	if mb == nil {
		if len(e.members) >= maxMembers {
			return dropTableFull
		}
		mb = &member{id: m.Instance}
		e.members[m.Instance] = mb
	}
	if mb.state == PeerLeft {
		return dropLeft
	}
	fresh, newest := mb.win.accept(m.Counter)
	if !fresh {
		return dropReplay
	}
	msgMs := m.Time.UnixMilli()
	if mb.state == PeerExpired && msgMs <= mb.reviveAfter {
		// Sent before the peer expired: a replay, or very late. (A fresh
		// answer to a query sent since is always later.)
		return dropDead
	}
	if newest {
		mb.lastMsg = msgMs
		// Only a heartbeat or an answer shows the peer alive: a query or
		// leave of a crashed peer, replayed here within the time window,
		// must not keep it in the table.
		if m.Type == wire.TypeAnnounce || m.Type == wire.TypeAnswer {
			mb.lastSeen = now
		}
	}
	switch m.Type {
	case wire.TypeAnnounce:
		if mb.state == PeerAlive {
			e.update(mb, m, p, now)
			break
		}
		// A candidate: ask it, by unicast, to prove it is alive.
		mb.addr, mb.port, mb.name = advertisedAddr(m, p, mb.addr), m.Port, m.Name
		if now.Sub(mb.verifySent) >= e.verifyEvery() && len(e.verify) < maxAnswerBacklog && len(e.pending) < maxPending {
			mb.verifySent = now
			q := newQueryID()
			exp := now.Add(queryGrace)
			e.pending[q] = &pendingQuery{expires: exp}
			// Forget the id soon after it expires, not only at the next
			// periodic sweep (up to maxSweepGap away).
			e.sweepBy(exp.Add(time.Millisecond))
			e.verify = append(e.verify, verifyJob{dst: p.src, q: q})
			e.wakeLoop()
		}
	case wire.TypeAnswer:
		if mb.state == PeerAlive {
			e.update(mb, m, p, now)
		} else {
			e.join(mb, m, p, now)
		}
		if d := pq.disc; d != nil {
			if _, ok := d.found[mb.id]; !ok && pq.round > 1 {
				// The peer's first answer in this lookup is to a later
				// query: its earlier answers, or the queries, were lost.
				// (A late answer to the first query is no loss.)
				d.lossy = true
			}
			d.found[mb.id] = struct{}{}
		}
	case wire.TypeQuery:
		if !e.cfg.Announce {
			break
		}
		if len(e.answers) >= maxAnswerBacklog {
			return dropBacklog
		}
		j := answerJob{due: now.Add(randDuration(e.cfg.AnswerJitter)), dst: p.src, q: m.Query}
		heap.Push(&e.answers, j)
		if j.due.Before(e.wakeAt) {
			e.wakeLoop()
		}
	case wire.TypeLeave:
		was := mb.state
		mb.state, mb.goneAt = PeerLeft, now
		if was == PeerAlive {
			e.emit(EventLeave, mb, now)
			e.log.printf(levelDebug, "peer %s (%s) left", shortID(mb.id), mb.peer())
		}
	}
	return -1
}

// verifyJob is a verification query to send.
type verifyJob struct {
	dst netip.AddrPort
	q   wire.QueryID
}

// verifyEvery is the least time between two verification queries to one
// candidate.
func (e *Engine) verifyEvery() time.Duration {
	return min(e.cfg.Interval/2, 250*time.Millisecond)
}

// wakeLoop makes the timer loop look at its work again. e.mu may be held.
func (e *Engine) wakeLoop() {
	select {
	case e.wake <- struct{}{}:
	default:
	}
}

// advertisedAddr is the address a message advertises, or else its source,
// or else (a multicast from an interface without a usable address, such as
// lo, leaves with the source 0.0.0.0) prev.
func advertisedAddr(m *wire.Message, p *packet, prev netip.Addr) netip.Addr {
	switch {
	case m.Addr.IsValid():
		return m.Addr
	case p.src.Addr().IsValid() && !p.src.Addr().IsUnspecified():
		return p.src.Addr()
	case prev.IsValid():
		return prev
	}
	return p.src.Addr()
}

// update refreshes a live peer's advertisement. e.mu is held.
func (e *Engine) update(mb *member, m *wire.Message, p *packet, now time.Time) {
	addr := advertisedAddr(m, p, mb.addr)
	if addr != mb.addr || m.Port != mb.port || m.Name != mb.name {
		mb.addr, mb.port, mb.name = addr, m.Port, m.Name
		e.emit(EventUpdate, mb, now)
	}
}

// join makes mb a live peer: it answered a query of ours. e.mu is held.
func (e *Engine) join(mb *member, m *wire.Message, p *packet, now time.Time) {
	mb.state, mb.addr, mb.port, mb.name = PeerAlive, advertisedAddr(m, p, mb.addr), m.Port, m.Name
	mb.lastSeen = now
	if at := mb.expiresAt(e.expireAfter()); e.sweepBy(at) && at.Before(e.wakeAt) {
		e.wakeLoop()
	}
	e.emit(EventJoin, mb, now)
	e.log.printf(levelDebug, "peer %s joined: %s", shortID(mb.id), mb.peer())
	for d := range e.discs {
		if _, ok := d.seen[mb.id]; !ok {
			d.seen[mb.id] = struct{}{}
			d.news++
			d.lastNew = now
			d.signal()
		}
	}
}

// emit sends an event to every subscriber, without blocking. e.mu is held.
func (e *Engine) emit(kind EventKind, mb *member, now time.Time) {
	if len(e.subs) == 0 || e.closed {
		return
	}
	ev := Event{Kind: kind, Peer: mb.peer(), Time: now}
	for s := range e.subs {
		select {
		case s.ch <- ev:
		default:
			e.ctr.eventsDropped.Add(1)
		}
	}
}

// Events subscribes to changes of the peer table: joins, updates, leaves
// and expiries. The channel has a buffer; an event that does not fit is
// dropped (and counted in Stats.EventsDropped), so read it promptly. The
// returned function unsubscribes and closes the channel; Close closes it
// too.
func (e *Engine) Events() (<-chan Event, func()) {
	s := &subscriber{ch: make(chan Event, eventBuffer)}
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		close(s.ch)
		return s.ch, func() {}
	}
	e.subs[s] = struct{}{}
	e.mu.Unlock()
	return s.ch, func() {
		e.mu.Lock()
		defer e.mu.Unlock()
		if _, ok := e.subs[s]; ok {
			delete(e.subs, s)
			close(s.ch)
		}
	}
}

// Peers returns the live peers, sorted by address, port and id. Self is
// never among them.
func (e *Engine) Peers() []Peer {
	e.mu.Lock()
	out := make([]Peer, 0, len(e.members))
	for _, mb := range e.members {
		if mb.state == PeerAlive {
			out = append(out, mb.peer())
		}
	}
	e.mu.Unlock()
	slices.SortFunc(out, comparePeers)
	return out
}

// Stats returns the engine's counters.
func (e *Engine) Stats() Stats {
	s := Stats{
		Received:      e.ctr.received.Load(),
		Accepted:      e.ctr.accepted.Load(),
		Loopback:      e.ctr.loopback.Load(),
		Sent:          e.ctr.sent.Load(),
		SendErrors:    e.ctr.sendErrors.Load(),
		EventsDropped: e.ctr.eventsDropped.Load(),
		Dropped:       make(map[string]uint64, numDrops),
	}
	for i := range e.ctr.dropped {
		s.Dropped[dropNames[i]] = e.ctr.dropped[i].Load()
	}
	e.mu.Lock()
	for _, mb := range e.members {
		if mb.state == PeerAlive {
			s.Peers++
		}
	}
	e.mu.Unlock()
	return s
}

// multicastProblem returns an error wrapping ErrMulticastUnavailable that
// says what to check, or nil when multicast works as far as this engine can
// tell (its own multicast came back on every interface, or a peer's
// multicast arrived) or it has sent nothing yet.
func (e *Engine) multicastProblem() error {
	if e.heard.Load() || e.firstSend.Load() == 0 {
		return nil
	}
	var bad []string
	ifs := e.tr.interfaces()
	e.mu.Lock()
	for _, i := range ifs {
		if !e.loopIfs[i.index] {
			bad = append(bad, i.name)
		}
	}
	e.mu.Unlock()
	if len(bad) == 0 {
		return nil
	}
	if e.loopSeen.Load() && len(bad) == len(ifs) {
		// Came back on an interface we no longer know by index: fine.
		return nil
	}
	names := strings.Join(bad, ", ")
	grp := netip.AddrPortFrom(e.group, uint16(e.cfg.Port))
	return fmt.Errorf("%w on %s: this engine's own multicast datagrams to %s never came back; check that a route covers 224.0.0.0/4 (ip route get %s), "+
		"that the interface is up with the MULTICAST flag (ip link show %s), that no firewall drops UDP to %s, "+
		"and that the network carries multicast at all (cloud VPCs such as AWS, Azure and GCP, and Docker overlay networks, do not)",
		ErrMulticastUnavailable, names, grp, e.group, bad[0], grp)
}

// Close sends a leave (when announcing), stops the engine and returns once
// all its goroutines have ended. Later calls return the first's result.
func (e *Engine) Close() error { return e.close(true) }

// close stops the engine; with leave false it sends no leave (tests
// simulate a crash with it).
func (e *Engine) close(leave bool) error {
	e.closeOnce.Do(func() {
		e.mu.Lock()
		e.closed = true
		e.mu.Unlock()
		close(e.done)
		e.wg.Wait()
		if leave && e.cfg.Announce {
			// Twice: a lost leave only delays the peers' forgetting by a few
			// intervals, but it is cheap to avoid.
			e.send(wire.TypeLeave, wire.QueryID{}, netip.AddrPort{})
			e.send(wire.TypeLeave, wire.QueryID{}, netip.AddrPort{})
		}
		e.closeErr = e.tr.close()
		e.mu.Lock()
		for s := range e.subs {
			close(s.ch)
			delete(e.subs, s)
		}
		e.mu.Unlock()
		e.log.printf(levelInfo, "engine %s stopped", shortID(e.id))
	})
	return e.closeErr
}
