package mcgossip

import (
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

	"github.com/mcgossip/go-discover-mcgossip/provider/internal/mcast"
	"github.com/mcgossip/go-discover-mcgossip/provider/mcgossip/wire"
)

// Protocol timing and limits.
const (
	// replayTimeWindow is how far a datagram's timestamp may be from our
	// clock.
	replayTimeWindow = 30 * time.Second
	// rememberFor is how long an instance's replay state outlives its last
	// accepted datagram, and an answered query id its answer: more than
	// twice the timestamp window, so that by the time either is forgotten
	// every datagram that could repeat it is stale, even from a sender
	// whose clock is 30 s ahead.
	rememberFor = 2*replayTimeWindow + 15*time.Second
	// maxInstances bounds the replay store and the peer table.
	maxInstances = 1 << 16
	// queryGrace is how long a query id stays valid for late answers after
	// its lookup ended, or after a background or verification query.
	queryGrace = 2 * time.Second
	// maxSweepGap is the longest time between two sweeps of the replay
	// store, the answered query ids and the verified candidates; the peer
	// table and the pending queries are swept when their next entry is due.
	maxSweepGap = 30 * time.Second
	// jitterFraction is the ± jitter of the heartbeat interval.
	jitterFraction = 0.2
)

// ErrClosed is returned by the methods of a closed Engine.
var ErrClosed = errors.New("discover-mcgossip: engine closed")

// Engine is one member of a multicast group: it joins the group, announces
// itself (unless Config.Announce is false), answers queries, keeps a table
// of its peers and looks them up with Discover. Its methods are safe for
// concurrent use.
//
// Its parts each own one job: the transport moves datagrams; the receive
// path checks them and hands them on; the replay store
// remembers every sender's counters; the peer table holds the live peers
// and tells lookups and subscribers of changes; the pending registry knows
// the query ids whose answers count; the answerer and the verifier plan the
// unicast replies. The engine itself runs their lifecycle, the timer loop
// and the sending.
type Engine struct {
	cfg  Config
	id   wire.InstanceID
	kr   atomic.Pointer[wire.Keyring] // swapped by SetCookies
	keys cookieKeys                   // the cookies behind kr
	tr   transport
	log  *logs
	now  func() time.Time // the clock; tests move it

	// group4 and group6 are the destinations a group datagram of each
	// family must have (the invalid Addr for a family not in use); with
	// broadcast_only, group4 is 255.255.255.255, which every broadcast
	// address the transport accepts arrives as.
	group4, group6 netip.Addr

	counter atomic.Uint64 // last counter sent
	// settled is when, in Unix nanoseconds, the engine's answers start to
	// count its table's members (see settleTime).
	settled atomic.Int64
	// lookupQueried is set once a lookup has sent a query: its answers
	// fill the table, so the start-up's background query is not needed.
	lookupQueried atomic.Bool
	// hold, when not nil, is closed by releaseAnnounce once the first
	// lookup ended: until then (or maxAnnounceHold) the engine does not
	// announce (Config.lookupFirst).
	hold     chan struct{}
	holdOnce sync.Once
	ctr      counters
	heard    senders // recent senders of foreign and stale datagrams
	mcheck   multicastCheck

	table   *peerTable
	replay  *replayStore
	pending *pendingQueries
	answers *answerer
	verify  *verifier

	wake   chan struct{} // the loop re-plans (new work, or earlier)
	rejoin chan struct{} // the transport joined again somewhere
	done   chan struct{} // closed by Close
	wg     sync.WaitGroup

	closeOnce sync.Once
	closeErr  error
}

// NewEngine opens the sockets (on the calling goroutine's thread, so in its
// network namespace, which the engine keeps using for its interface scans),
// joins the group and starts the engine: when cfg.Announce is set it
// announces itself at once and answers queries. It logs records with
// fields to cfg.Logger when that is set, else text lines to l; with both
// nil it discards the log. Close it when done. Without iface or if_addr
// and without a route to the group, its error wraps
// ErrMulticastUnavailable.
func NewEngine(cfg *Config, l *log.Logger) (*Engine, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	g := newLogs(l, cfg.Logger)
	kr := keyring(cfg)
	tr, err := newUDPTransport(cfg, g)
	if err != nil {
		return nil, err
	}
	return newEngine(cfg, g, kr, tr, time.Now)
}

// keyring derives the keys of cfg's cookies (Argon2id; cached per process).
func keyring(cfg *Config) *wire.Keyring {
	var old []*wire.Key
	for _, c := range cfg.OldCookies {
		old = append(old, wire.DeriveKey(c))
	}
	return wire.NewKeyring(wire.DeriveKey(cfg.Cookie), old...)
}

// newEngine starts an engine on a transport, with a clock.
func newEngine(cfg *Config, g *logs, kr *wire.Keyring, tr transport, clock func() time.Time) (*Engine, error) {
	now := clock()
	e := &Engine{
		cfg:     *cfg,
		tr:      tr,
		log:     g,
		now:     clock,
		table:   newPeerTable(maxInstances),
		replay:  newReplayStore(maxInstances, now),
		pending: newPendingQueries(),
		answers: newAnswerer(cfg.AnswerJitter),
		verify:  newVerifier(min(cfg.Interval/2, 250*time.Millisecond)),
		wake:    make(chan struct{}, 1),
		rejoin:  make(chan struct{}, 1),
		done:    make(chan struct{}),
	}
	if cfg.lookupFirst && cfg.Announce {
		e.hold = make(chan struct{})
	}
	if cfg.Family.has(false) {
		e.group4 = cfg.MulticastAddr
		if cfg.BroadcastOnly {
			e.group4 = mcast.LimitedBroadcast
		}
	}
	if cfg.Family.has(true) {
		e.group6 = cfg.MulticastAddr6
	}
	e.kr.Store(kr)
	e.settled.Store(now.Add(settleTime).UnixNano())
	e.keys.cookies = append([]string{cfg.Cookie}, cfg.OldCookies...)
	e.cfg.Interfaces = slices.Clone(cfg.Interfaces)
	e.cfg.OldCookies = slices.Clone(cfg.OldCookies)
	e.cfg.Advertise = cfg.Advertise.Unmap() // the wire takes no IPv4-mapped address
	if _, err := rand.Read(e.id[:]); err != nil {
		tr.close()
		return nil, fmt.Errorf("discover-mcgossip: cannot make an instance id: %w", err)
	}
	e.table.watch(newEventLog(g))
	for _, w := range configWarnings(cfg) {
		g.printf(levelWarn, "%s", w)
	}
	role := "observing (announce=false)"
	if cfg.Announce {
		role = "announcing " + e.advertised() + " every " + cfg.Interval.String()
	}
	ifaces := strings.Join(e.ifaceNames(), ",")
	g.logf(levelInfo, fields("engine", e.id, "group", e.groupsDesc(), "iface", ifaces, "announce", cfg.Announce),
		"engine %s started on %s (%s), %s, %s", shortID(e.id), e.groupsDesc(), ifaces, role, e.keyDesc())
	if got := tr.readBuffer(); got != 0 && got < readBuffer {
		// An agent is what a flood hits; a lookup's engine lives briefly.
		level := levelDebug
		if cfg.Announce {
			level = levelInfo
		}
		g.printf(level, "the kernel capped the receive buffers at %d KiB (asked for %d KiB): they hold about %d answers of a lookup (a group of %d needs %d KiB), and a flood overflows them sooner: raise net.core.rmem_max to %d to allow more",
			got>>10, readBuffer>>10, got/answerTruesize, maxGroup, maxGroup*answerTruesize>>10, readBuffer)
	}
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
	return e.keys.same(append([]string{cfg.Cookie}, cfg.OldCookies...))
}

// ID returns the engine's random instance id, which its peers see.
func (e *Engine) ID() wire.InstanceID { return e.id }

func shortID(id wire.InstanceID) string { return id.String()[:8] }

func (e *Engine) keyDesc() string {
	keys := e.kr.Load().Keys()
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

// run is the engine's timer loop: heartbeats, delayed answers,
// verification queries, sweeps and the loopback check.
func (e *Engine) run() {
	defer e.wg.Done()
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	now := e.now()
	nextAnnounce := now
	hold := e.hold
	if hold != nil {
		nextAnnounce = now.Add(maxAnnounceHold)
	}
	sweepAt := now.Add(maxSweepGap)
	burst := 0
	loopChecked := false
	for {
		now = e.now()
		if e.cfg.Announce && !now.Before(nextAnnounce) {
			e.multicast(wire.TypeAnnounce, wire.QueryID{}, 0, nil)
			if burst == 1 && !e.lookupQueried.Load() {
				// Learn the group at once rather than by heartbeats, with
				// the second announce (100-200 ms after the start): an
				// engine started for a lookup (Provider.Addrs) has asked
				// by then, and a second query would bring every answer
				// twice.
				e.backgroundQuery(now)
			}
			nextAnnounce = now.Add(jitter(e.cfg.Interval))
			if burst < len(burstOffsets) {
				// Never later than a heartbeat: observers expire this
				// engine after three of its intervals.
				o := burstOffsets[burst]
				at := now.Add(o[0] + randDuration(o[1]-o[0]))
				if burst > 0 {
					at = at.Add(-burstOffsets[burst-1][0])
				}
				nextAnnounce = earliest(nextAnnounce, at)
			}
			burst++
		}
		for _, j := range e.answers.due(now) {
			e.answer(j)
		}
		for _, j := range e.verify.take() {
			e.verifyQuery(j, now)
		}
		next := e.sweep(now, &sweepAt)
		if e.cfg.Announce {
			next = earliest(next, nextAnnounce)
		}
		next = earliest(next, e.answers.nextDue())
		if at := e.mcheck.checkAt(); !loopChecked && !at.IsZero() {
			if now.Before(at) {
				next = earliest(next, at)
			} else {
				loopChecked = true
				if err := e.multicastProblem(); err != nil {
					e.log.printf(levelWarn, "%v", err)
				}
			}
		}
		timer.Reset(max(next.Sub(now), 0))
		select {
		case <-e.done:
			return
		case <-timer.C:
		case <-e.wake:
		case <-hold:
			hold = nil
			if burst == 0 {
				nextAnnounce = e.now()
			}
		case <-e.rejoin:
			if e.cfg.Announce {
				nextAnnounce = e.now()
			}
		}
	}
}

// sweep runs the sweeps that are due at now and returns when the next one
// is: the table's and the pending registry's when their next entry is due,
// the others' at *sweepAt, which it moves on.
func (e *Engine) sweep(now time.Time, sweepAt *time.Time) time.Time {
	if at := e.table.nextDue(); !at.IsZero() && !now.Before(at) {
		e.table.sweep(now)
	}
	if at := e.pending.nextDue(); !at.IsZero() && !now.Before(at) {
		e.pending.sweep(now)
	}
	if !now.Before(*sweepAt) {
		e.replay.sweep(now)
		e.answers.sweep(now)
		e.verify.sweep(now)
		*sweepAt = now.Add(maxSweepGap)
	}
	return earliest(earliest(*sweepAt, e.table.nextDue()), e.pending.nextDue())
}

// earliest returns the earlier of a and b, ignoring a zero b.
func earliest(a, b time.Time) time.Time {
	if !b.IsZero() && b.Before(a) {
		return b
	}
	return a
}

// due is the earliest of some deadlines; the zero due has none.
type due struct{ at time.Time }

// by makes the deadline no later than at and reports whether it moved.
func (d *due) by(at time.Time) bool {
	if !d.at.IsZero() && !at.Before(d.at) {
		return false
	}
	d.at = at
	return true
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

// wakeLoop makes the timer loop look at its work again.
func (e *Engine) wakeLoop() {
	select {
	case e.wake <- struct{}{}:
	default:
	}
}

// multicastProblem returns an error wrapping ErrMulticastUnavailable that
// says what to check, or nil when multicast works as far as this engine
// can tell.
func (e *Engine) multicastProblem() error {
	return e.mcheck.problem(e.tr.interfaces(), &e.cfg)
}

// groupsDesc describes where the engine's multicasts go (Config.Groups).
func (e *Engine) groupsDesc() string { return e.cfg.Groups() }

// groupOf returns the group a group datagram to dst must have been sent
// to: the group of dst's family.
func (e *Engine) groupOf(dst netip.Addr) netip.Addr {
	if dst.Is6() {
		return e.group6
	}
	return e.group4
}

// Close sends a leave (when announcing), stops the engine and returns once
// all its goroutines have ended. Later calls return the first's result.
func (e *Engine) Close() error { return e.close(true) }

// close stops the engine; with leave false it sends no leave (tests
// simulate a crash with it).
func (e *Engine) close(leave bool) error {
	e.closeOnce.Do(func() {
		close(e.done)
		e.wg.Wait()
		if leave && e.cfg.Announce {
			// Twice: a lost leave only delays the peers' forgetting by a few
			// intervals, but it is cheap to avoid.
			e.multicast(wire.TypeLeave, wire.QueryID{}, 0, nil)
			e.multicast(wire.TypeLeave, wire.QueryID{}, 0, nil)
		}
		e.closeErr = e.tr.close()
		e.table.close()
		e.log.logf(levelInfo, fields("engine", e.id), "engine %s stopped", shortID(e.id))
	})
	return e.closeErr
}
