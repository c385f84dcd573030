package mcgossip_test

import (
	"bytes"
	"context"
	"log"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mcgossip/go-discover-mcgossip/provider/mcgossip"
	"github.com/mcgossip/go-discover-mcgossip/provider/mcgossip/wire"
)

// Socket-free tests of how lookups scale: the answer window, the end
// condition, the seen filter of repeated queries, the receive buffer.

// queryLog records the queries one engine multicasts on a MemNet, opened.
type queryLog struct {
	mu   sync.Mutex
	kr   *wire.Keyring
	from netip.AddrPort
	qs   []wire.Message
}

func (r *queryLog) tap(d mcgossip.Datagram) {
	if !d.Multicast || d.Src != r.from {
		return
	}
	var m wire.Message
	if wire.Open(r.kr, d.Data, &m) != nil || m.Type != wire.TypeQuery {
		return
	}
	m.Seen = m.Seen.Clone()
	r.mu.Lock()
	r.qs = append(r.qs, m)
	r.mu.Unlock()
}

func (r *queryLog) all() []wire.Message {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]wire.Message(nil), r.qs...)
}

// settledGroup starts k responders on n and returns once each knows the
// others, so each answers with members k.
func settledGroup(t *testing.T, n *mcgossip.MemNet, k int) []*mcgossip.Engine {
	t.Helper()
	var rs []*mcgossip.Engine
	for range k {
		rs = append(rs, startMem(t, n, memConfig(true)))
	}
	for _, r := range rs {
		if _, err := r.Discover(context.Background(), mcgossip.WithExpect(k-1)); err != nil {
			t.Fatal(err)
		}
	}
	return rs
}

// TestMemLookupEndsOnMembers: without loss a lookup sends one query and
// returns once every member the answers count has answered, without
// waiting for a quiet period; every answer tells the window used and the
// members.
func TestMemLookupEndsOnMembers(t *testing.T) {
	checkNoLeak(t)
	n := mcgossip.NewMemNet()
	settledGroup(t, n, 10)
	obs := startMem(t, n, memConfig(false))
	ql := &queryLog{kr: obs.Keyring(), from: n.Addr(obs)}
	var answers struct {
		sync.Mutex
		windows, members []uint32
	}
	n.Tap(func(d mcgossip.Datagram) {
		ql.tap(d)
		var m wire.Message
		if d.Dst == n.Addr(obs) && wire.Open(obs.Keyring(), d.Data, &m) == nil && m.Type == wire.TypeAnswer {
			answers.Lock()
			answers.windows = append(answers.windows, uint32(m.Window/time.Microsecond))
			answers.members = append(answers.members, m.Members)
			answers.Unlock()
		}
	})
	peers, err := obs.Discover(context.Background(), mcgossip.WithTimeout(10*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if len(peers) != 10 {
		t.Fatalf("found %d peers, want 10", len(peers))
	}
	qs := ql.all()
	if len(qs) != 1 {
		t.Errorf("sent %d queries without loss, want 1", len(qs))
	}
	if qs[0].Window != 0 {
		t.Errorf("a cold lookup asked for window %v, want none (the responders size it)", qs[0].Window)
	}
	answers.Lock()
	defer answers.Unlock()
	for i, w := range answers.windows {
		// 10 members: the floor (memConfig's AnswerJitter).
		if time.Duration(w)*time.Microsecond != memConfig(false).AnswerJitter || answers.members[i] != 10 {
			t.Errorf("answer %d: window %d µs, members %d; want %v and 10", i, w, answers.members[i], memConfig(false).AnswerJitter)
		}
	}
}

// TestMemSeenFilterReask: answers lost in the first round are asked for
// again with a query whose seen filter holds every peer that answered, so
// only the missing ones answer, within a window sized for them.
func TestMemSeenFilterReask(t *testing.T) {
	checkNoLeak(t)
	n := mcgossip.NewMemNet()
	rs := settledGroup(t, n, 20)
	obs := startMem(t, n, memConfig(false))
	lost := map[netip.AddrPort]bool{}
	for _, r := range rs[:5] {
		lost[n.Addr(r)] = true
	}
	// The first answer of each of the first five responders is lost.
	var mu sync.Mutex
	ql := &queryLog{kr: obs.Keyring(), from: n.Addr(obs)}
	n.Tap(ql.tap)
	n.Drop(func(d mcgossip.Datagram, to netip.AddrPort) bool {
		if d.Multicast || to != n.Addr(obs) {
			return false
		}
		mu.Lock()
		defer mu.Unlock()
		if lost[d.Src] {
			delete(lost, d.Src)
			return true
		}
		return false
	})
	silenced := func() (s uint64) {
		for _, r := range rs {
			s += r.Stats().Silenced
		}
		return s
	}
	before := silenced()
	peers, err := obs.Discover(context.Background(), mcgossip.WithTimeout(10*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if len(peers) != 20 {
		t.Fatalf("found %d peers, want 20", len(peers))
	}
	qs := ql.all()
	if len(qs) < 2 {
		t.Fatalf("sent %d queries, want a second for the 5 lost answers", len(qs))
	}
	q2 := qs[1]
	if q2.Seen.Bits() == 0 {
		t.Fatal("the second query has no seen filter")
	}
	for _, r := range rs[5:] {
		if !q2.Seen.Has(q2.Query, r.ID()) {
			t.Errorf("the second query's filter lacks responder %v, which answered the first", r.ID())
		}
	}
	if q2.Window != memConfig(false).AnswerJitter {
		t.Errorf("the second query asked for %v, want %v (5 missing: the floor)", q2.Window, memConfig(false).AnswerJitter)
	}
	if got := silenced() - before; got < 15 {
		t.Errorf("%d answers silenced by the filter, want at least 15", got)
	}
}

// TestMemReadBufferCapped: an engine whose receive buffer the kernel
// capped says so, naming the sysctl that allows more.
func TestMemReadBufferCapped(t *testing.T) {
	n := mcgossip.NewMemNet()
	n.SetReadBuffer(416 << 10)
	var buf bytes.Buffer
	var mu sync.Mutex
	l := log.New(writerFunc(func(b []byte) (int, error) {
		mu.Lock()
		defer mu.Unlock()
		return buf.Write(b)
	}), "", 0)
	e, err := mcgossip.NewMemEngine(n, memConfig(true), l)
	if err != nil {
		t.Fatal(err)
	}
	e.Close()
	mu.Lock()
	out := buf.String()
	mu.Unlock()
	_, asked := e.ReadBuffer()
	for _, want := range []string{"capped the receive buffers at 416 KiB", "net.core.rmem_max", "answers"} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %q:\n%s", want, out)
		}
	}
	if asked < 2000*1280/2 {
		t.Errorf("the sockets ask for %d bytes, less than 2000 answers need", asked)
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(b []byte) (int, error) { return f(b) }

// TestMemAnnounceAfterFirstLookup: an engine started for a lookup (as
// Provider.Addrs starts one) announces only once that lookup is over, so
// the members answer it rather than verify the newcomer, and count it
// only afterwards.
func TestMemAnnounceAfterFirstLookup(t *testing.T) {
	checkNoLeak(t)
	n := mcgossip.NewMemNet()
	settledGroup(t, n, 3)
	cfg := memConfig(true)
	mcgossip.SetLookupFirst(cfg)
	var mu sync.Mutex
	var announced []time.Time
	var lastAnswer time.Time // when the last answer to the engine was sent
	kr := wire.NewKeyring(wire.DeriveKey(testCookie))
	from := netip.MustParseAddrPort("10.0.0.4:40000") // the fourth engine on n
	n.Tap(func(d mcgossip.Datagram) {
		var m wire.Message
		if wire.Open(kr, d.Data, &m) != nil {
			return
		}
		mu.Lock()
		defer mu.Unlock()
		switch {
		case d.Multicast && d.Src == from && m.Type == wire.TypeAnnounce:
			announced = append(announced, time.Now())
		case d.Dst == from && m.Type == wire.TypeAnswer && len(announced) == 0:
			lastAnswer = time.Now()
		}
	})
	e := startMem(t, n, cfg)
	if n.Addr(e) != from {
		t.Fatalf("the engine has the address %v, not %v", n.Addr(e), from)
	}
	peers, err := e.Discover(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(peers) != 3 {
		t.Fatalf("found %d peers, want 3", len(peers))
	}
	eventually(t, 5*time.Second, "the engine announced", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(announced) > 0
	})
	mu.Lock()
	defer mu.Unlock()
	// The lookup ends after its last answer, and releases the hold as it
	// returns (the announce may go out before Discover has returned).
	if lastAnswer.IsZero() || announced[0].Before(lastAnswer) {
		t.Errorf("announced at %v, before the last answer of its first lookup (%v)", announced[0], lastAnswer)
	}
}

// TestMemOlderAnswerNotFound: an answer read after its sender's newer
// heartbeat (the heartbeat came in on the group socket first) changes
// nothing in the table, so the lookup must not count its sender found: it
// asks again, and the newer answer to that query makes the sender a peer
// that the lookup returns.
func TestMemOlderAnswerNotFound(t *testing.T) {
	n := mcgossip.NewMemNet()
	obs := startMem(t, n, memConfig(false))
	kr := obs.Keyring()
	x := newInstance()
	ep := netip.MustParseAddrPort("10.9.9.9:40000") // nobody there: only what is fed in exists
	queries := make(chan wire.QueryID, 16)
	n.Tap(func(d mcgossip.Datagram) {
		var m wire.Message
		if d.Multicast && d.Src == n.Addr(obs) && wire.Open(kr, d.Data, &m) == nil && m.Type == wire.TypeQuery {
			queries <- m.Query
		}
	})
	y, epY := newInstance(), netip.MustParseAddrPort("10.9.9.8:40000")
	// Both answers count 2 members: with both found, the counts end the
	// lookup at once.
	answerOf := func(id wire.InstanceID, from netip.AddrPort, q wire.QueryID, c uint64) []byte {
		return sealed(t, kr, with(msg(wire.TypeAnswer, id, c, from), func(m *wire.Message) { m.Query, m.Members = q, 2 }))
	}
	answer := func(q wire.QueryID, c uint64) []byte { return answerOf(x, ep, q, c) }
	done := make(chan []mcgossip.Peer, 1)
	go func() {
		peers, _ := obs.Discover(context.Background(), mcgossip.WithTimeout(5*time.Second))
		done <- peers
	}()
	q1 := <-queries
	obs.Receive(answerOf(y, epY, q1, 5), epY, false)
	obs.Receive(sealed(t, kr, msg(wire.TypeAnnounce, x, 10, ep)), ep, true) // the newer heartbeat first
	obs.Receive(answer(q1, 9), ep, false)                                   // then the older answer
	var q2 wire.QueryID
	select {
	case q2 = <-queries:
	case peers := <-done:
		t.Fatalf("the lookup ended with %d peers on an older answer that made nobody a peer", len(peers))
	}
	obs.Receive(answer(q2, 11), ep, false)
	peers := <-done
	if got := ids(peers); len(got) != 2 || !got[x] || !got[y] {
		t.Fatalf("found %v, want both instances", addrsOf(peers))
	}
}

// waitKnows waits until e's table holds k peers, or fails after 5 s.
func waitKnows(t *testing.T, e *mcgossip.Engine, k int) {
	t.Helper()
	evs, stop := e.Events()
	defer stop()
	deadline := time.After(5 * time.Second)
	for len(e.Peers()) < k {
		select {
		case <-evs:
		case <-deadline:
			t.Fatalf("engine knows %d peers after 5s, want %d", len(e.Peers()), k)
		}
	}
}

// lookupAnswers runs a lookup of q on n, checks that it found k peers, and
// returns the Members of every answer to it and how many queries it sent.
func lookupAnswers(t *testing.T, n *mcgossip.MemNet, q *mcgossip.Engine, k int) (members []uint32, queries int) {
	t.Helper()
	ql := &queryLog{kr: q.Keyring(), from: n.Addr(q)}
	var mu sync.Mutex
	n.Tap(func(d mcgossip.Datagram) {
		ql.tap(d)
		var m wire.Message
		if d.Dst == n.Addr(q) && wire.Open(q.Keyring(), d.Data, &m) == nil && m.Type == wire.TypeAnswer {
			mu.Lock()
			members = append(members, m.Members)
			mu.Unlock()
		}
	})
	peers, err := q.Discover(context.Background())
	n.Tap(nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(peers) != k {
		t.Fatalf("found %d peers, want %d", len(peers), k)
	}
	mu.Lock()
	defer mu.Unlock()
	return slices.Clone(members), len(ql.all())
}

// answerMembers runs a lookup from a new observer on n and returns the
// Members of every answer to it, after checking it found k peers.
func answerMembers(t *testing.T, n *mcgossip.MemNet, k int) []uint32 {
	t.Helper()
	obs := startMem(t, n, memConfig(false))
	defer obs.Close()
	members, _ := lookupAnswers(t, n, obs, k)
	return members
}

// TestMemYoungCountsItself: for its first second an engine's answers count
// only itself, so that a group that has just started, whose tables are
// still filling, cannot end a lookup on counts that agree but fall short;
// after that second, or once a lookup of its own has ended (its answers
// filled the table), its answers count every member it knows.
func TestMemYoungCountsItself(t *testing.T) {
	checkNoLeak(t)
	n := mcgossip.NewMemNet()
	var rs []*mcgossip.Engine
	for range 3 {
		before := time.Now()
		r := startMem(t, n, memConfig(true))
		if at := r.SettledAt(); at.Before(before.Add(time.Second)) || at.After(time.Now().Add(time.Second)) {
			t.Errorf("an engine started at %v settles at %v, want a second later", before, at)
		}
		rs = append(rs, r)
	}
	for _, r := range rs {
		waitKnows(t, r, 2)
	}
	for i, m := range answerMembers(t, n, 3) {
		if m != 1 {
			t.Errorf("young: answer %d counted %d members, want 1", i, m)
		}
	}
	for _, r := range rs {
		r.Settle()
	}
	for i, m := range answerMembers(t, n, 3) {
		if m != 3 {
			t.Errorf("settled: answer %d counted %d members, want 3", i, m)
		}
	}

	// A young engine whose own lookup ended counts its table at once.
	r := startMem(t, n, memConfig(true))
	start := time.Now()
	if _, err := r.Discover(context.Background()); err != nil {
		t.Fatal(err)
	}
	if at := r.SettledAt(); at.Before(start) || at.After(time.Now()) {
		t.Errorf("an engine whose lookup ended settles at %v, want by its end", at)
	}
	for _, old := range rs {
		waitKnows(t, old, 3)
	}
	for i, m := range answerMembers(t, n, 4) {
		if m != 4 {
			t.Errorf("after its own lookup: answer %d counted %d members, want 4", i, m)
		}
	}
}

// TestMemCountLeavesOutQuerier: an answer's count leaves the querier out,
// so an announcing engine, which its peers count, still ends its lookup on
// the counts: one query, every answer counting the responders alone.
func TestMemCountLeavesOutQuerier(t *testing.T) {
	checkNoLeak(t)
	n := mcgossip.NewMemNet()
	rs := settledGroup(t, n, 5)
	q := startMem(t, n, memConfig(true))
	for _, r := range rs {
		waitKnows(t, r, 5) // the other four and q
	}
	members, queries := lookupAnswers(t, n, q, 5)
	if queries != 1 {
		t.Errorf("an announcing querier sent %d queries without loss, want 1 (the counts end it)", queries)
	}
	for i, m := range members {
		if m != 5 {
			t.Errorf("answer %d counted %d members, want 5 (the responders, not the querier)", i, m)
		}
	}
}
