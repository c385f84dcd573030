package mcgossip_test

import (
	"context"
	"crypto/rand"
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

// Socket-free tests of the engine logic, on the in-memory network.

const testCookie = "test-cookie-4f9a0c2e71d3b8a6"

// memConfig is a fast configuration for engines on a MemNet.
func memConfig(announce bool) *mcgossip.Config {
	c := mcgossip.DefaultConfig()
	c.Cookie = testCookie
	c.Announce = announce
	c.Interval = 100 * time.Millisecond
	c.AnswerJitter = 5 * time.Millisecond
	c.Stable = 0 // the default: the answers decide
	c.Timeout = 3 * time.Second
	return c
}

func startMem(t testing.TB, n *mcgossip.MemNet, cfg *mcgossip.Config) *mcgossip.Engine {
	t.Helper()
	e, err := mcgossip.NewMemEngine(n, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	return e
}

func addrsOf(peers []mcgossip.Peer) []string {
	out := make([]string, len(peers))
	for i, p := range peers {
		out[i] = p.String()
	}
	return out
}

func ids(peers []mcgossip.Peer) map[wire.InstanceID]bool {
	m := map[wire.InstanceID]bool{}
	for _, p := range peers {
		m[p.ID] = true
	}
	return m
}

func TestMemQueryAnswer(t *testing.T) {
	checkNoLeak(t)
	n := mcgossip.NewMemNet()
	var responders []*mcgossip.Engine
	var want []string
	for range 5 {
		e := startMem(t, n, memConfig(true))
		responders = append(responders, e)
		want = append(want, n.Addr(e).Addr().String())
	}
	obs := startMem(t, n, memConfig(false))
	peers, err := obs.Discover(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if got := addrsOf(peers); !slices.Equal(got, want) {
		t.Errorf("observer found %v, want %v", got, want)
	}
	for _, p := range peers {
		if p.State != mcgossip.PeerAlive {
			t.Errorf("peer %v state %v", p, p.State)
		}
	}
	// A responder finds the others, never itself, never the observer.
	self := responders[2]
	peers, err = self.Discover(context.Background(), mcgossip.WithExpect(4))
	if err != nil {
		t.Fatal(err)
	}
	got := ids(peers)
	if len(got) != 4 || got[self.ID()] || got[obs.ID()] {
		t.Errorf("responder found %v, want the 4 other responders", addrsOf(peers))
	}
	if s := obs.Stats(); s.Sent == 0 || s.Accepted < 5 || s.Loopback == 0 || s.DroppedTotal() != 0 {
		t.Errorf("observer stats %+v", s)
	}
}

// TestMemTermination checks when Discover returns: at expect, once stable,
// and at the timeout with what it has.
func TestMemTermination(t *testing.T) {
	n := mcgossip.NewMemNet()
	for range 5 {
		startMem(t, n, memConfig(true))
	}
	empty := mcgossip.NewMemNet() // nobody else on it
	cases := []struct {
		name     string
		net      *mcgossip.MemNet
		opts     []mcgossip.DiscoverOption
		want     int           // peers
		min, max time.Duration // elapsed
	}{
		{"expect", n, []mcgossip.DiscoverOption{mcgossip.WithExpect(2), mcgossip.WithStable(10 * time.Second)}, 2, 0, 5 * time.Second},
		{"expect all", n, []mcgossip.DiscoverOption{mcgossip.WithExpect(5), mcgossip.WithStable(10 * time.Second)}, 5, 0, 5 * time.Second},
		{"stable", n, []mcgossip.DiscoverOption{mcgossip.WithStable(20 * time.Millisecond), mcgossip.WithTimeout(10 * time.Second)}, 5, 20 * time.Millisecond, 5 * time.Second},
		{"timeout with nobody", empty, []mcgossip.DiscoverOption{mcgossip.WithTimeout(300 * time.Millisecond)}, 0, 300 * time.Millisecond, 5 * time.Second},
		{"expect unmet", n, []mcgossip.DiscoverOption{mcgossip.WithExpect(9), mcgossip.WithTimeout(time.Second)}, 5, time.Second, 5 * time.Second},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			logs := newLogBuf()
			obs, err := mcgossip.NewMemEngine(tc.net, memConfig(false), log.New(logs, "", log.Lmicroseconds))
			if err != nil {
				t.Fatal(err)
			}
			defer obs.Close()
			start := time.Now()
			peers, err := obs.Discover(context.Background(), tc.opts...)
			took := time.Since(start)
			defer func() {
				if t.Failed() {
					t.Logf("started %s; log:\n%s", start.Format("15:04:05.000000"), logs)
				}
			}()
			if err != nil {
				t.Fatal(err)
			}
			if len(peers) < tc.want || (tc.name != "expect" && len(peers) != tc.want) {
				t.Errorf("found %d peers, want %d", len(peers), tc.want)
			}
			if took < tc.min || took > tc.max {
				t.Errorf("took %v, want from %v to %v", took, tc.min, tc.max)
			}
		})
	}
	t.Run("context deadline", func(t *testing.T) {
		obs := startMem(t, empty, memConfig(false))
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		start := time.Now()
		peers, err := obs.Discover(ctx, mcgossip.WithTimeout(time.Minute))
		if err != nil || len(peers) != 0 || time.Since(start) > 5*time.Second {
			t.Errorf("Discover = %v, %v after %v; want nothing, no error, at the deadline", peers, err, time.Since(start))
		}
	})
	t.Run("context cancel", func(t *testing.T) {
		obs := startMem(t, empty, memConfig(false))
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if _, err := obs.Discover(ctx); err != context.Canceled {
			t.Errorf("Discover with a cancelled context: %v, want context.Canceled", err)
		}
	})
	t.Run("closed", func(t *testing.T) {
		obs := startMem(t, empty, memConfig(false))
		done := make(chan error, 1)
		go func() {
			_, err := obs.Discover(context.Background(), mcgossip.WithTimeout(time.Minute))
			done <- err
		}()
		obs.Close()
		select {
		case err := <-done:
			if err != mcgossip.ErrClosed {
				t.Errorf("Discover on a closing engine: %v, want ErrClosed", err)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("Discover did not return after Close")
		}
		if _, err := obs.Discover(context.Background()); err != mcgossip.ErrClosed {
			t.Errorf("Discover on a closed engine: %v, want ErrClosed", err)
		}
	})
}

func TestMemJoinExpireLeave(t *testing.T) {
	checkNoLeak(t)
	n := mcgossip.NewMemNet()
	a := startMem(t, n, memConfig(false))
	ev, unsub := a.Events()
	defer unsub()

	// Join: an announcing engine is verified and joins a's table by
	// itself, without a lookup.
	b := startMem(t, n, memConfig(true))
	j := waitEvent(t, ev, mcgossip.EventJoin, b.ID(), 5*time.Second)
	if j.Peer.Addr != n.Addr(b).Addr() || j.Peer.State != mcgossip.PeerAlive {
		t.Errorf("join event %+v", j)
	}

	// Expire: b dies without a leave; a forgets it after three intervals.
	died := time.Now()
	b.Kill()
	x := waitEvent(t, ev, mcgossip.EventExpire, b.ID(), 5*time.Second)
	if since := time.Since(died); since < 2*memConfig(true).Interval {
		t.Errorf("expired after %v, before three intervals", since)
	}
	if x.Peer.State != mcgossip.PeerExpired || len(a.Peers()) != 0 {
		t.Errorf("after expiry: event %+v, peers %v", x, a.Peers())
	}

	// Leave: with a long interval, only the leave can remove c at once.
	slow := memConfig(true)
	slow.Interval = time.Hour
	c := startMem(t, n, slow)
	waitEvent(t, ev, mcgossip.EventJoin, c.ID(), 5*time.Second)
	c.Close()
	l := waitEvent(t, ev, mcgossip.EventLeave, c.ID(), 5*time.Second)
	if l.Peer.State != mcgossip.PeerLeft {
		t.Errorf("leave event %+v", l)
	}
	peers, err := a.Discover(context.Background(), mcgossip.WithTimeout(200*time.Millisecond))
	if err != nil || len(peers) != 0 {
		t.Errorf("lookup after the leave: %v, %v; want nothing", addrsOf(peers), err)
	}
}

// capture records what an engine sends on a MemNet.
type capture struct {
	mu   sync.Mutex
	from netip.AddrPort
	got  []mcgossip.Datagram
}

func (c *capture) tap(d mcgossip.Datagram) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if d.Src == c.from {
		c.got = append(c.got, d)
	}
}

func (c *capture) all() []mcgossip.Datagram {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.got)
}

// TestMemReplay re-injects every datagram a peer sent (announces, answers,
// leave) after it left or died: it must not come back, neither into the
// table of an engine that saw it go nor into the result of a fresh lookup
// of an engine that never knew it.
func TestMemReplay(t *testing.T) {
	for _, how := range []string{"leave", "death"} {
		t.Run(how, func(t *testing.T) {
			n := mcgossip.NewMemNet()
			a := startMem(t, n, memConfig(false))
			ev, unsub := a.Events()
			defer unsub()
			rec := &capture{from: netip.MustParseAddrPort("10.0.0.2:40000")} // b's address
			n.Tap(rec.tap)
			b := startMem(t, n, memConfig(true))
			if n.Addr(b) != rec.from {
				t.Fatalf("b has the address %v, not %v", n.Addr(b), rec.from)
			}
			waitEvent(t, ev, mcgossip.EventJoin, b.ID(), 5*time.Second)
			if _, err := a.Discover(context.Background(), mcgossip.WithExpect(1)); err != nil {
				t.Fatal(err)
			}
			// Two announces of b to resend (the second comes 100-200 ms
			// after its start).
			eventually(t, 5*time.Second, "b announced twice", func() bool {
				multicasts := 0
				for _, d := range rec.all() {
					if d.Multicast {
						multicasts++
					}
				}
				return multicasts >= 2
			})
			if how == "leave" {
				b.Close()
				waitEvent(t, ev, mcgossip.EventLeave, b.ID(), 5*time.Second)
			} else {
				b.Kill()
				waitEvent(t, ev, mcgossip.EventExpire, b.ID(), 5*time.Second)
			}
			sent := rec.all()
			kinds := map[bool]int{}
			for _, d := range sent {
				kinds[d.Multicast]++
			}
			if kinds[true] < 2 || kinds[false] < 1 {
				t.Fatalf("captured %d multicast and %d unicast datagrams; want announces and answers", kinds[true], kinds[false])
			}
			// A fresh observer that never heard of b.
			c := startMem(t, n, memConfig(false))
			cev, cunsub := c.Events()
			defer cunsub()
			before := a.Stats().DroppedTotal()
			for _, d := range sent {
				a.Receive(d.Data, d.Src, d.Multicast)
				c.Receive(d.Data, d.Src, d.Multicast)
			}
			// c may try to verify b (a unicast query to a dead address);
			// its lookups must still not return b.
			peers, err := c.Discover(context.Background(), mcgossip.WithTimeout(300*time.Millisecond))
			if err != nil {
				t.Fatal(err)
			}
			if len(peers) != 0 {
				t.Errorf("c's lookup returned %v after the replay", addrsOf(peers))
			}
			if p := a.Peers(); len(p) != 0 {
				t.Errorf("a's table has %v after the replay", addrsOf(p))
			}
			if got := a.Stats().DroppedTotal() - before; got < uint64(len(sent)) {
				t.Errorf("a dropped %d of %d replayed datagrams", got, len(sent))
			}
			for {
				select {
				case e := <-ev:
					if e.Peer.ID == b.ID() {
						t.Errorf("a got %v for b after the replay", e.Kind)
					}
					continue
				case e := <-cev:
					t.Errorf("c got %v after the replay", e.Kind)
					continue
				default:
				}
				break
			}
			t.Logf("a's drops: %v", nonZero(a.Stats().Dropped))
		})
	}
}

func nonZero(m map[string]uint64) map[string]uint64 {
	out := map[string]uint64{}
	for k, v := range m {
		if v != 0 {
			out[k] = v
		}
	}
	return out
}

// sealed returns a datagram sealed with kr.
func sealed(t testing.TB, kr *wire.Keyring, m *wire.Message) []byte {
	t.Helper()
	b, err := wire.AppendSeal(nil, kr, m, nil)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func newInstance() wire.InstanceID {
	var id wire.InstanceID
	rand.Read(id[:])
	return id
}

func newQuery() wire.QueryID {
	var q wire.QueryID
	rand.Read(q[:])
	return q
}

// msg returns a message of type t from inst, now, with counter c, sealed
// endpoint ep and what its type requires: an interval of a second in
// announces and answers, one member in answers, a fresh query id in
// queries and answers (set Query to answer a given query).
func msg(t wire.Type, inst wire.InstanceID, c uint64, ep netip.AddrPort) *wire.Message {
	m := &wire.Message{Type: t, Instance: inst, Time: time.Now(), Counter: c}
	if t != wire.TypeLeave {
		m.Endpoint4 = ep
	}
	if t == wire.TypeAnnounce || t == wire.TypeAnswer {
		m.Interval = time.Second
	}
	if t == wire.TypeAnswer {
		m.Members = 1
	}
	if t == wire.TypeQuery || t == wire.TypeAnswer {
		m.Query = newQuery()
	}
	return m
}

// with returns m changed by f.
func with(m *wire.Message, f func(m *wire.Message)) *wire.Message {
	f(m)
	return m
}

// TestMemTrust feeds crafted authentic datagrams that break the replay
// and binding rules, and garbage, into an engine's receive path: each is
// dropped with its reason, and none makes a peer.
func TestMemTrust(t *testing.T) {
	n := mcgossip.NewMemNet()
	logs := newLogBuf()
	cfg := memConfig(true)
	e, err := mcgossip.NewMemEngine(n, cfg, logs.logger())
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	kr := e.Keyring()
	foreign := wire.NewKeyring(wire.NewKey([32]byte{1, 2, 3}))
	src := netip.MustParseAddrPort("10.9.9.9:40000")
	now := time.Now()
	inst := newInstance()
	ann := func(c uint64) *wire.Message { return msg(wire.TypeAnnounce, inst, c, src) }
	good := sealed(t, kr, ann(10))
	named := sealed(t, kr, with(ann(9), func(m *wire.Message) { m.Name = "node-1" }))
	tampered := slices.Clone(good)
	tampered[len(tampered)-1] ^= 1
	v6only := func(m *wire.Message) {
		m.Endpoint4, m.Endpoint6 = netip.AddrPort{}, netip.MustParseAddrPort("[2001:db8::9]:40000")
	}
	cases := []struct {
		name   string
		data   []byte
		group  bool
		reason string
	}{
		{"empty", nil, true, "short"},
		{"short", []byte("mcg"), true, "short"},
		{"libcluster", []byte("heartbeat::\x83t\x00\x00\x00\x01d\x00\x04noded\x00\x0ca@198.18.0.1"), true, "magic"},
		{"random", []byte(strings.Repeat("\x8f\x13", 60)), true, "magic"},
		{"oversized", append([]byte("mcg\x02"), make([]byte, wire.MaxDatagram)...), true, "too_large"},
		{"version 1", append([]byte("mcg\x01"), good[4:]...), true, "version"},
		{"foreign cookie", sealed(t, foreign, ann(1)), true, "unknown_key"},
		{"tampered", tampered, true, "auth"},
		{"truncated", good[:wire.HeaderLen+10], true, "short"},
		{"cut tag", named[:len(named)-1], true, "auth"},
		{"stale", sealed(t, kr, with(ann(1), func(m *wire.Message) { m.Time = now.Add(-31 * time.Second) })), true, "stale"},
		{"future", sealed(t, kr, with(ann(2), func(m *wire.Message) { m.Time = now.Add(31 * time.Second) })), true, "stale"},
		{"unsolicited answer", sealed(t, kr, msg(wire.TypeAnswer, inst, 3, src)), false, "unsolicited"},
		{"answer by multicast", sealed(t, kr, msg(wire.TypeAnswer, inst, 4, src)), true, "wrong_socket"},
		{"announce by unicast", sealed(t, kr, ann(5)), false, "wrong_socket"},
		{"announce with only an IPv6 endpoint", sealed(t, kr, with(ann(6), v6only)), true, "no_endpoint"},
		{"query with only an IPv6 endpoint", sealed(t, kr, with(msg(wire.TypeQuery, inst, 7, src), v6only)), true, "no_endpoint"},
		{"first", good, true, ""},
		{"duplicate", good, true, "replay"},
		{"newer", sealed(t, kr, ann(200)), true, ""},
		{"below the window", sealed(t, kr, ann(100)), true, "replay"},
		{"late in window", sealed(t, kr, ann(190)), true, "older"},
		{"late in window again", sealed(t, kr, ann(190)), true, "replay"},
		{"late query in window", sealed(t, kr, msg(wire.TypeQuery, inst, 191, src)), true, ""},
		{"leave", sealed(t, kr, msg(wire.TypeLeave, inst, 201, src)), true, ""},
		{"after leave", sealed(t, kr, ann(202)), true, "left"},
		{"query after leave", sealed(t, kr, msg(wire.TypeQuery, inst, 203, src)), true, "left"},
	}
	for _, tc := range cases {
		before := e.Stats()
		e.Receive(tc.data, src, tc.group)
		after := e.Stats()
		for reason, v := range after.Dropped {
			want := uint64(0)
			if reason == tc.reason {
				want = 1
			}
			if v-before.Dropped[reason] != want {
				t.Errorf("%s: %s drops went from %d to %d", tc.name, reason, before.Dropped[reason], v)
			}
		}
		if _, ok := after.Dropped[tc.reason]; tc.reason != "" && !ok {
			t.Errorf("%s: no drop reason %q in Stats.Dropped", tc.name, tc.reason)
		}
		if tc.reason == "" && after.Accepted != before.Accepted+1 {
			t.Errorf("%s: not accepted", tc.name)
		}
	}
	if p := e.Peers(); len(p) != 0 {
		t.Errorf("crafted datagrams made peers: %v", p)
	}
	if s := e.Stats(); s.SourceMismatch != 0 {
		t.Errorf("%d source mismatches, want 0: every datagram came from its sealed endpoint", s.SourceMismatch)
	}
	// Rate-limited logs: one line per reason, however many drops.
	for range 100 {
		e.Receive([]byte("garbage"), src, true)
	}
	if c := logs.count("not an mcgossip datagram"); c != 1 {
		t.Errorf("%d log lines about garbage, want 1:\n%s", c, logs)
	}
	if c := logs.count("[WARN] discover-mcgossip: dropped a datagram from 10.9.9.9:40000: timestamp"); c != 1 {
		t.Errorf("%d log lines about stale datagrams, want 1:\n%s", c, logs)
	}
}

// TestMemVerification: an announce is not enough to become a peer; the
// engine asks the announcer by unicast and takes it only once it answers.
func TestMemVerification(t *testing.T) {
	n := mcgossip.NewMemNet()
	a := startMem(t, n, memConfig(false))
	ev, unsub := a.Events()
	defer unsub()
	inst := newInstance()
	src := netip.MustParseAddrPort("10.9.9.9:40000") // nobody there to answer
	a.Receive(sealed(t, a.Keyring(), msg(wire.TypeAnnounce, inst, 1, src)), src, true)
	peers, err := a.Discover(context.Background(), mcgossip.WithTimeout(200*time.Millisecond))
	if err != nil || len(peers) != 0 || len(a.Peers()) != 0 {
		t.Errorf("an unverified announcer became a peer: %v, %v", peers, err)
	}
	select {
	case e := <-ev:
		t.Errorf("event %v for an unverified announcer", e.Kind)
	default:
	}
}

// TestMemLoss: with 30% of datagrams lost each way, repeated rounds still
// find every peer.
func TestMemLoss(t *testing.T) {
	n := mcgossip.NewMemNet()
	const peers = 20
	for range peers {
		startMem(t, n, memConfig(true))
	}
	obs := startMem(t, n, memConfig(false))
	n.SetLoss(0.3)
	found, err := obs.Discover(context.Background(), mcgossip.WithExpect(peers), mcgossip.WithTimeout(10*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if len(found) != peers {
		t.Errorf("found %d of %d peers with 30%% loss", len(found), peers)
	}
}

func TestMemEventsUnsubscribe(t *testing.T) {
	n := mcgossip.NewMemNet()
	a := startMem(t, n, memConfig(false))
	ev, unsub := a.Events()
	unsub()
	unsub() // idempotent
	if _, ok := <-ev; ok {
		t.Error("channel open after unsubscribe")
	}
	ev2, _ := a.Events()
	a.Close()
	if _, ok := <-ev2; ok {
		t.Error("channel open after Close")
	}
	ev3, unsub3 := a.Events()
	unsub3()
	if _, ok := <-ev3; ok {
		t.Error("channel of a closed engine open")
	}
}

// TestMemCookieRotation: engines that hold each other's cookie (one as
// primary, the other as an older accepted one) find each other while a
// new cookie is rolled out; an engine with only the old cookie is no
// longer found by one that seals with the new.
func TestMemCookieRotation(t *testing.T) {
	const oldC, newC = "rotation-old-cookie-1f2e3d", "rotation-new-cookie-9a8b7c"
	n := mcgossip.NewMemNet()
	cfg := func(primary string, older ...string) *mcgossip.Config {
		c := memConfig(true)
		c.Cookie, c.OldCookies = primary, older
		return c
	}
	a := startMem(t, n, cfg(newC, oldC)) // rolled forward: seals with new
	b := startMem(t, n, cfg(oldC, newC)) // prepared: seals with old, opens new
	c := startMem(t, n, cfg(oldC))       // left behind
	peers, err := a.Discover(context.Background(), mcgossip.WithExpect(1), mcgossip.WithTimeout(500*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	if got := ids(peers); len(got) != 1 || !got[b.ID()] {
		t.Errorf("a found %v, want only b", addrsOf(peers))
	}
	peers, err = c.Discover(context.Background(), mcgossip.WithExpect(2), mcgossip.WithTimeout(500*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	if got := ids(peers); len(got) != 1 || !got[b.ID()] {
		t.Errorf("c found %v, want only b", addrsOf(peers))
	}
}

// TestMemLossExtraRounds: once a lookup has seen loss (a round after the
// first brought a new peer), it asks again after rounds that bring nobody
// new. Deterministic drops on the way to the observer: C's announces and
// its answer to the first query are lost (so only the second round finds
// C: loss seen), and every datagram from A is lost but the answers to the
// fourth and later queries, so the third round brings nobody and only a
// further round finds A. Without the extra rounds the lookup would end
// after the third.
func TestMemLossExtraRounds(t *testing.T) {
	n := mcgossip.NewMemNet()
	// The responders know each other (each answers with members 3), so
	// the lookup keeps asking until it has all three.
	rs := settledGroup(t, n, 3)
	a, b, c := rs[0], rs[1], rs[2]
	obs := startMem(t, n, memConfig(false))
	kr := wire.NewKeyring(wire.DeriveKey(testCookie))
	aAddr, cAddr, oAddr := n.Addr(a), n.Addr(c), n.Addr(obs)

	var mu sync.Mutex
	var queries []wire.QueryID // the observer's multicast (lookup) queries, in order
	n.Drop(func(d mcgossip.Datagram, to netip.AddrPort) bool {
		var m wire.Message
		if wire.Open(kr, d.Data, &m) != nil {
			return false
		}
		mu.Lock()
		defer mu.Unlock()
		if d.Src == oAddr && d.Multicast && m.Type == wire.TypeQuery && !slices.Contains(queries, m.Query) {
			queries = append(queries, m.Query)
		}
		if to != oAddr {
			return false
		}
		round := slices.Index(queries, m.Query) + 1 // 0: not a lookup query
		switch d.Src {
		case aAddr:
			return m.Type != wire.TypeAnswer || round < 4
		case cAddr: // no announces either: C is only found by a lookup
			return m.Type == wire.TypeAnnounce || (m.Type == wire.TypeAnswer && round == 1)
		}
		return false
	})

	found, err := obs.Discover(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := []string{n.Addr(a).Addr().String(), n.Addr(b).Addr().String(), n.Addr(c).Addr().String()}
	slices.Sort(want)
	if got := addrsOf(found); !slices.Equal(got, want) {
		mu.Lock()
		defer mu.Unlock()
		t.Fatalf("found %v after %d queries; want %v", got, len(queries), want)
	}
}

// TestMemPendingBounded: announces from many unknown instances (each one
// a candidate the engine verifies) leave at most MaxPending query ids
// waiting, and those are forgotten soon after they expire, not only at the
// next periodic sweep.
func TestMemPendingBounded(t *testing.T) {
	n := mcgossip.NewMemNet()
	e := startMem(t, n, memConfig(false)) // an observer sends nothing else
	kr := e.Keyring()
	src := netip.MustParseAddrPort("10.9.9.9:40000") // nobody there to answer
	const batch = 1000
	total := 0
	for total < 3*mcgossip.MaxPending {
		total += batch
		for range batch {
			e.Receive(sealed(t, kr, msg(wire.TypeAnnounce, newInstance(), 1, src)), src, true)
		}
		// Let the timer loop send the queued verification queries, so the
		// verification queue's own cap does not hide the pending ids'.
		eventually(t, 5*time.Second, "verification queue drained", func() bool { return e.VerifyBacklog() == 0 })
	}
	if got := e.PendingCount(); got > mcgossip.MaxPending {
		t.Errorf("%d pending query ids after %d announces of unknown instances, want at most %d", got, total, mcgossip.MaxPending)
	}
	if s := e.Stats(); s.Sent == 0 || s.Sent > uint64(total) {
		t.Errorf("sent %d verification queries for %d announces", s.Sent, total)
	}
	// They expire queryGrace (2s) after they were sent; the periodic sweep
	// runs only every 30s.
	eventually(t, 10*time.Second, "expired query ids forgotten", func() bool { return e.PendingCount() == 0 })
}
