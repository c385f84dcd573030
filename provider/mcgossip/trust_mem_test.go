package mcgossip_test

import (
	"context"
	"net/netip"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/mcgossip/go-discover-mcgossip/provider/mcgossip"
	"github.com/mcgossip/go-discover-mcgossip/provider/mcgossip/wire"
)

// Socket-free tests of the trust rules (issue 9): identity and every reply
// address come from the sealed body only, older datagrams change nothing,
// replay state outlives the peer table, the seen filter silences, and each
// peer expires by its own interval.

// attacker is the source of the resent datagrams: a host without the
// cookie that records datagrams and sends them again from its own address.
var attacker = netip.MustParseAddrPort("10.66.66.66:40000")

// netRec records every datagram sent on a MemNet, opened with the test
// cookie's key, and lets a test wait for what it expects.
type netRec struct {
	kr *wire.Keyring
	mu sync.Mutex
	dg []recorded
	ch chan struct{} // closed and replaced on every datagram
}

type recorded struct {
	mcgossip.Datagram
	m wire.Message // the zero Message when it did not open
}

func recordNet(n *mcgossip.MemNet) *netRec {
	r := &netRec{kr: wire.NewKeyring(wire.DeriveKey(testCookie)), ch: make(chan struct{})}
	n.Tap(func(d mcgossip.Datagram) {
		var m wire.Message
		wire.Open(r.kr, d.Data, &m)
		m.Seen = m.Seen.Clone()
		r.mu.Lock()
		defer r.mu.Unlock()
		r.dg = append(r.dg, recorded{d, m})
		close(r.ch)
		r.ch = make(chan struct{})
	})
	return r
}

// all returns the datagrams recorded so far that f selects.
func (r *netRec) all(f func(d recorded) bool) []recorded {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []recorded
	for _, d := range r.dg {
		if f(d) {
			out = append(out, d)
		}
	}
	return out
}

// wait waits up to d until f selects at least n datagrams and returns them.
func (r *netRec) wait(t testing.TB, d time.Duration, n int, what string, f func(d recorded) bool) []recorded {
	t.Helper()
	deadline := time.NewTimer(d)
	defer deadline.Stop()
	for {
		r.mu.Lock()
		ch := r.ch
		r.mu.Unlock()
		if got := r.all(f); len(got) >= n {
			return got
		}
		select {
		case <-ch:
		case <-deadline.C:
			t.Fatalf("fewer than %d %s within %v", n, what, d)
		}
	}
}

// from selects the datagrams of type typ sent from addr by unicast (uni
// true) or multicast.
func from(addr netip.AddrPort, typ wire.Type, uni bool) func(d recorded) bool {
	return func(d recorded) bool { return d.Src == addr && d.m.Type == typ && d.Multicast != uni }
}

// TestMemSealedIdentity: an answer and a query of B that A never got,
// resent to A from the attacker's address, are used (they are authentic
// and unseen) but the attacker's address becomes neither B's listed
// address nor the destination of A's answer; and a fresh engine that only
// hears B's announce from the attacker verifies B at B's sealed endpoint
// and lists B there.
func TestMemSealedIdentity(t *testing.T) {
	n := mcgossip.NewMemNet()
	rec := recordNet(n)
	a := startMem(t, n, memConfig(true))
	b := startMem(t, n, memConfig(true))
	aAddr, bAddr := n.Addr(a), n.Addr(b)
	// Nobody gets B's multicasts, and A nothing of B's: what they need of
	// B comes from the attacker.
	n.Drop(func(d mcgossip.Datagram, to netip.AddrPort) bool {
		return d.Src == bAddr && to != bAddr && (d.Multicast || to == aAddr)
	})
	// A looks up and B answers, but A never gets it.
	if peers, err := a.Discover(context.Background(), mcgossip.WithTimeout(200*time.Millisecond)); err != nil || len(peers) != 0 {
		t.Fatalf("A found %v, %v; want nothing (it hears nothing from B)", addrsOf(peers), err)
	}
	answer := rec.wait(t, 5*time.Second, 1, "answers of B to A", func(d recorded) bool {
		return from(bAddr, wire.TypeAnswer, true)(d) && d.Dst == aAddr
	})[0]
	query := rec.wait(t, 5*time.Second, 1, "queries of B", from(bAddr, wire.TypeQuery, false))[0]
	announce := rec.wait(t, 5*time.Second, 1, "announces of B", from(bAddr, wire.TypeAnnounce, false))[0]

	ev, unsub := a.Events()
	defer unsub()
	a.Receive(answer.Data, attacker, false) // its query id is still pending
	j := waitEvent(t, ev, mcgossip.EventJoin, b.ID(), 5*time.Second)
	if j.Peer.Addr != bAddr.Addr() {
		t.Errorf("B joined A's table as %v, want its sealed address %v", j.Peer, bAddr.Addr())
	}
	a.Receive(query.Data, attacker, true)
	got := rec.wait(t, 5*time.Second, 1, "answers of A to B's query", func(d recorded) bool {
		return from(aAddr, wire.TypeAnswer, true)(d) && d.m.Query == query.m.Query
	})
	if len(got) != 1 || got[0].Dst != bAddr {
		t.Errorf("A answered B's query %d times, to %v; want once, to B's sealed endpoint %v", len(got), got[0].Dst, bAddr)
	}
	if s := a.Stats(); s.SourceMismatch != 2 || s.Accepted < 2 {
		t.Errorf("A's stats %+v: want 2 source mismatches, counted and accepted", s)
	}

	// A fresh engine that hears B only through the attacker.
	f := startMem(t, n, memConfig(false))
	fAddr := n.Addr(f)
	fev, funsub := f.Events()
	defer funsub()
	f.Receive(announce.Data, attacker, true)
	j = waitEvent(t, fev, mcgossip.EventJoin, b.ID(), 5*time.Second)
	if j.Peer.Addr != bAddr.Addr() {
		t.Errorf("B joined F's table as %v, want %v", j.Peer, bAddr.Addr())
	}
	for _, d := range rec.all(func(d recorded) bool { return d.Src == fAddr && !d.Multicast }) {
		if d.Dst != bAddr && d.Dst != aAddr { // A announces too
			t.Errorf("F sent a %v to %v; want only verification queries to the sealed endpoints %v and %v", d.m.Type, d.Dst, aAddr, bAddr)
		}
	}
	for _, d := range rec.all(func(d recorded) bool { return d.Dst.Addr() == attacker.Addr() }) {
		t.Errorf("a %v went to the attacker's address %v", d.m.Type, d.Dst)
	}
}

// TestMemFreshVerifiesReplayed: a fresh engine that gets an announce of a
// member that has died, resent by the attacker, sends its verification
// query only to the sealed endpoint, never to the attacker, and lists
// nobody when nothing answers there.
func TestMemFreshVerifiesReplayed(t *testing.T) {
	n := mcgossip.NewMemNet()
	rec := recordNet(n)
	b := startMem(t, n, memConfig(true))
	bAddr := n.Addr(b)
	announce := rec.wait(t, 5*time.Second, 1, "announces of B", from(bAddr, wire.TypeAnnounce, false))[0]
	b.Kill()
	f := startMem(t, n, memConfig(false))
	fAddr := n.Addr(f)
	f.Receive(announce.Data, attacker, true)
	v := rec.wait(t, 5*time.Second, 1, "verification queries of F", from(fAddr, wire.TypeQuery, true))
	if v[0].Dst != bAddr {
		t.Errorf("F verified B at %v, want its sealed endpoint %v", v[0].Dst, bAddr)
	}
	peers, err := f.Discover(context.Background(), mcgossip.WithTimeout(300*time.Millisecond))
	if err != nil || len(peers) != 0 || len(f.Peers()) != 0 {
		t.Errorf("F found %v, %v; want nobody (B is dead)", addrsOf(peers), err)
	}
	for _, d := range rec.all(func(d recorded) bool { return d.Src == fAddr && !d.Multicast }) {
		if d.Dst != bAddr {
			t.Errorf("F sent a %v to %v, not to B's sealed endpoint", d.m.Type, d.Dst)
		}
	}
}

// TestMemOlderNeverChanges: an authentic datagram older than the newest
// one accepted from its sender, never seen before, changes nothing about
// the peer: not its address, port, name or liveness.
func TestMemOlderNeverChanges(t *testing.T) {
	n := mcgossip.NewMemNet()
	a := startMem(t, n, memConfig(false))
	ev, unsub := a.Events()
	defer unsub()
	kr := a.Keyring()
	x := newInstance()
	ep := netip.MustParseAddrPort("10.9.9.9:40000")
	q := a.PendingQuery()
	advertise := func(addr, name string) func(m *wire.Message) {
		return func(m *wire.Message) { m.Advertise, m.Name, m.Port = netip.MustParseAddr(addr), name, 8301 }
	}
	a.Receive(sealed(t, kr, with(msg(wire.TypeAnswer, x, 10, ep), func(m *wire.Message) {
		m.Query = q
		advertise("10.1.1.1", "x-new")(m)
	})), ep, false)
	waitEvent(t, ev, mcgossip.EventJoin, x, 5*time.Second)
	want := a.Peers()
	if len(want) != 1 || want[0].String() != "10.1.1.1:8301" || want[0].Name != "x-new" {
		t.Fatalf("after the answer: %v", want)
	}
	before := a.Stats()
	a.Receive(sealed(t, kr, with(msg(wire.TypeAnnounce, x, 5, ep), advertise("10.6.6.6", "x-old"))), ep, true)
	a.Receive(sealed(t, kr, with(msg(wire.TypeAnswer, x, 6, ep), func(m *wire.Message) {
		m.Query = q
		advertise("10.6.6.7", "x-old")(m)
	})), ep, false)
	after := a.Stats()
	if got := a.Peers(); !slices.Equal(got, want) {
		t.Errorf("older datagrams changed the peer: %v, want %v", got, want)
	}
	if d := after.Dropped["older"] - before.Dropped["older"]; d != 1 || after.Accepted != before.Accepted+1 {
		t.Errorf("older announce dropped %d times (want 1), older answer accepted %d (want 1: it may still answer a query)", d, after.Accepted-before.Accepted)
	}
	select {
	case e := <-ev:
		t.Errorf("%v event after older datagrams: %v", e.Kind, e.Peer)
	default:
	}
	// A newer one does change it.
	a.Receive(sealed(t, kr, with(msg(wire.TypeAnnounce, x, 11, ep), advertise("10.1.1.2", "x-newer"))), ep, true)
	u := waitEvent(t, ev, mcgossip.EventUpdate, x, 5*time.Second)
	if u.Peer.String() != "10.1.1.2:8301" || u.Peer.Name != "x-newer" {
		t.Errorf("update to %+v", u.Peer)
	}
}

// TestMemLookerReplay: a looker's queries, recorded and resent 10 to 60 s
// later (after the table's sweeps), are not answered: its replay state
// lives on apart from the peer table (which never held it) until every
// datagram of it is stale.
func TestMemLookerReplay(t *testing.T) {
	n := mcgossip.NewMemNet()
	rec := recordNet(n)
	var clock mcgossip.Clock
	r, err := mcgossip.NewMemEngineAt(n, memConfig(true), nil, &clock)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	rAddr := n.Addr(r)
	looker := startMem(t, n, memConfig(false))
	lAddr := n.Addr(looker)
	if peers, err := looker.Discover(context.Background(), mcgossip.WithExpect(1)); err != nil || len(peers) != 1 {
		t.Fatalf("the looker found %v, %v", addrsOf(peers), err)
	}
	queries := rec.all(from(lAddr, wire.TypeQuery, false))
	answered := len(rec.wait(t, 5*time.Second, 1, "answers of R to the looker", from(rAddr, wire.TypeAnswer, true)))
	looker.Close()
	if len(queries) == 0 {
		t.Fatal("no queries of the looker recorded")
	}
	elapsed := time.Duration(0)
	for _, at := range []time.Duration{10 * time.Second, 20 * time.Second, 29 * time.Second, 45 * time.Second, 60 * time.Second} {
		clock.Advance(at - elapsed)
		elapsed = at
		r.Sweep()
		before := r.Stats()
		for _, q := range queries {
			r.Receive(q.Data, attacker, true)
			r.Receive(q.Data, lAddr, true)
		}
		after := r.Stats()
		want := "replay"
		if at > 30*time.Second {
			want = "stale"
		}
		if d := after.Dropped[want] - before.Dropped[want]; d != uint64(2*len(queries)) {
			t.Errorf("after %v: %d of %d resent queries dropped as %s; drops %v", at, d, 2*len(queries), want, nonZero(after.Dropped))
		}
	}
	// Dropped, so never scheduled; and none was sent.
	if got := len(rec.all(from(rAddr, wire.TypeAnswer, true))); got != answered {
		t.Errorf("R sent %d answers, %d of them after the replays; want none", got, got-answered)
	}
	if got := len(rec.all(func(d recorded) bool { return d.Dst.Addr() == attacker.Addr() })); got != 0 {
		t.Errorf("%d datagrams to the attacker", got)
	}
}

// TestMemSealedDestinations: on a lossy network with a multi-homed member,
// lookups and verifications in full swing, and the attacker resending
// every datagram to every engine from its own address, every unicast
// datagram goes to an endpoint sealed in a datagram of its destination's
// engine; nothing goes to the attacker; each multicast carries the endpoint
// of the interface it left on.
func TestMemSealedDestinations(t *testing.T) {
	n := mcgossip.NewMemNet()
	rec := recordNet(n)
	var engines []*mcgossip.Engine
	for range 4 {
		engines = append(engines, startMem(t, n, memConfig(true)))
	}
	second := n.AddInterface(engines[0])
	obs := startMem(t, n, memConfig(false))
	engines = append(engines, obs)
	n.SetLoss(0.2)
	if peers, err := obs.Discover(context.Background(), mcgossip.WithExpect(4)); err != nil || len(peers) != 4 {
		t.Fatalf("found %v, %v", addrsOf(peers), err)
	}
	rec.wait(t, 5*time.Second, 1, "announces from the second interface", func(d recorded) bool {
		return d.Src == second && d.m.Type == wire.TypeAnnounce
	})
	for _, d := range rec.all(func(recorded) bool { return true }) {
		for _, e := range engines {
			e.Receive(d.Data, attacker, d.Multicast)
		}
	}
	if _, err := obs.Discover(context.Background(), mcgossip.WithExpect(4)); err != nil {
		t.Fatal(err)
	}
	n.SetLoss(0)
	sealedBy := map[netip.AddrPort]wire.InstanceID{} // endpoint: the engine that sealed it
	for _, d := range rec.all(func(d recorded) bool { return d.m.Endpoint4.IsValid() }) {
		sealedBy[d.m.Endpoint4] = d.m.Instance
		if d.Multicast && d.m.Endpoint4 != d.Src {
			t.Errorf("a %v left from %v sealed with the endpoint %v", d.m.Type, d.Src, d.m.Endpoint4)
		}
	}
	unicast := 0
	for _, d := range rec.all(func(d recorded) bool { return !d.Multicast }) {
		unicast++
		if _, ok := sealedBy[d.Dst]; !ok || d.Dst.Addr() == attacker.Addr() {
			t.Errorf("a %v went to %v, no sealed endpoint", d.m.Type, d.Dst)
		}
	}
	if unicast == 0 {
		t.Error("no unicast datagram recorded")
	}
	for _, e := range engines {
		if s := e.Stats(); s.SourceMismatch == 0 {
			t.Errorf("engine %v counted no source mismatch", e.ID())
		}
	}
}

// TestMemReplayBound: the replay store holds at most its bound of
// instances; a new one beyond it is dropped and counted, known ones go on,
// and once forgotten (a sweep after rememberFor) new ones fit again.
func TestMemReplayBound(t *testing.T) {
	n := mcgossip.NewMemNet()
	var clock mcgossip.Clock
	e, err := mcgossip.NewMemEngineAt(n, memConfig(false), nil, &clock)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	const bound = 8
	e.LimitInstances(bound)
	kr := e.Keyring()
	ep := netip.MustParseAddrPort("10.9.9.9:40000")
	var insts []wire.InstanceID
	for range 20 {
		insts = append(insts, newInstance())
	}
	for _, id := range insts {
		e.Receive(sealed(t, kr, msg(wire.TypeQuery, id, 1, ep)), ep, true)
	}
	s := e.Stats()
	if s.Accepted != bound || s.Dropped["replay_full"] != 20-bound || e.Instances() != bound {
		t.Errorf("accepted %d, replay_full %d, %d instances; want %d, %d, %d", s.Accepted, s.Dropped["replay_full"], e.Instances(), bound, 20-bound, bound)
	}
	e.Receive(sealed(t, kr, msg(wire.TypeQuery, insts[0], 2, ep)), ep, true)
	if got := e.Stats().Accepted; got != bound+1 {
		t.Errorf("a known instance's next query was not accepted (%d accepted)", got)
	}
	clock.Advance(76 * time.Second)
	e.Sweep()
	if got := e.Instances(); got != 0 {
		t.Errorf("%d instances after they were forgotten", got)
	}
	e.Receive(sealed(t, kr, with(msg(wire.TypeQuery, newInstance(), 1, ep), func(m *wire.Message) { m.Time = clock.Now() })), ep, true)
	if got := e.Stats().Accepted; got != bound+2 {
		t.Errorf("a new instance was not accepted after the sweep (%d accepted)", got)
	}
}

// TestMemSeenFilter: a responder whose id is in a query's seen filter stays
// silent; otherwise it answers once per query id, to the sealed endpoint,
// after a delay within the query's window, telling the window it used and
// how many members it knows.
func TestMemSeenFilter(t *testing.T) {
	n := mcgossip.NewMemNet()
	rec := recordNet(n)
	r := startMem(t, n, memConfig(true))
	rAddr := n.Addr(r)
	kr := r.Keyring()
	ep := netip.MustParseAddrPort("10.9.9.9:40000")
	querier := newInstance()
	counter := uint64(0)
	query := func(q wire.QueryID, seen ...wire.InstanceID) []byte {
		counter++
		m := msg(wire.TypeQuery, querier, counter, ep)
		m.Query = q
		m.Window = 2 * time.Millisecond
		if len(seen) > 0 {
			f, err := wire.NewSeenFilter(wire.SeenSize(len(seen), 1e-9))
			if err != nil {
				t.Fatal(err)
			}
			for _, id := range seen {
				f.Add(q, id)
			}
			m.Seen = f
		}
		return sealed(t, kr, m)
	}
	answersTo := func(q wire.QueryID) func(d recorded) bool {
		return func(d recorded) bool { return from(rAddr, wire.TypeAnswer, true)(d) && d.m.Query == q }
	}
	silenced, others, plain := newQuery(), newQuery(), newQuery()
	r.Receive(query(silenced, newInstance(), r.ID()), attacker, true)
	r.Receive(query(others, newInstance(), newInstance()), attacker, true)
	r.Receive(query(plain), attacker, true)
	r.Receive(query(plain), attacker, true) // the same id again, in a new datagram
	for _, q := range []wire.QueryID{others, plain} {
		a := rec.wait(t, 5*time.Second, 1, "answers", answersTo(q))[0]
		if a.Dst != ep || a.m.Window != 2*time.Millisecond || a.m.Members != 1 {
			t.Errorf("answer to %v, window %v, members %d; want to %v, 2ms, 1", a.Dst, a.m.Window, a.m.Members, ep)
		}
	}
	s := r.Stats()
	if s.Silenced != 1 || s.Dropped["answered"] != 1 {
		t.Errorf("silenced %d, answered drops %d; want 1 and 1", s.Silenced, s.Dropped["answered"])
	}
	// Silenced counts a query that was never scheduled; as a backstop, no
	// answer to it is recorded by the time a later query's is.
	last := newQuery()
	r.Receive(query(last), attacker, true)
	rec.wait(t, 5*time.Second, 1, "answers", answersTo(last))
	for _, q := range []wire.QueryID{silenced, plain} {
		if got := len(rec.all(answersTo(q))); got > 1 || (q == silenced && got != 0) {
			t.Errorf("%d answers to query %v", got, q)
		}
	}
}

// TestMemPeerInterval: observers expire a peer after three of the peer's
// own intervals, sealed in its datagrams, whatever their own interval.
func TestMemPeerInterval(t *testing.T) {
	t.Run("fast peer, slow observer", func(t *testing.T) {
		n := mcgossip.NewMemNet()
		slow := memConfig(false)
		slow.Interval = time.Hour
		o := startMem(t, n, slow)
		ev, unsub := o.Events()
		defer unsub()
		p := startMem(t, n, memConfig(true)) // 100ms
		waitEvent(t, ev, mcgossip.EventJoin, p.ID(), 5*time.Second)
		died := time.Now()
		p.Kill()
		waitEvent(t, ev, mcgossip.EventExpire, p.ID(), 5*time.Second)
		if since := time.Since(died); since < 200*time.Millisecond {
			t.Errorf("expired %v after it died, before three of its intervals", since)
		}
	})
	t.Run("slow peer, fast observer", func(t *testing.T) {
		n := mcgossip.NewMemNet()
		var clock mcgossip.Clock
		o, err := mcgossip.NewMemEngineAt(n, memConfig(false), nil, &clock) // 100ms
		if err != nil {
			t.Fatal(err)
		}
		defer o.Close()
		ev, unsub := o.Events()
		defer unsub()
		slow := memConfig(true)
		slow.Interval = time.Hour
		p := startMem(t, n, slow)
		waitEvent(t, ev, mcgossip.EventJoin, p.ID(), 5*time.Second)
		clock.Advance(10 * time.Second) // a hundred of the observer's intervals
		o.Sweep()
		if got := o.Peers(); len(got) != 1 {
			t.Errorf("after 10s: peers %v, want the slow peer", addrsOf(got))
		}
		clock.Advance(3 * time.Hour)
		o.Sweep()
		x := waitEvent(t, ev, mcgossip.EventExpire, p.ID(), 5*time.Second)
		if x.Peer.State != mcgossip.PeerExpired || len(o.Peers()) != 0 {
			t.Errorf("after three hours: %+v, peers %v", x, addrsOf(o.Peers()))
		}
	})
}
