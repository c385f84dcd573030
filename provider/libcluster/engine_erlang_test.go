package libcluster

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Engine tests against real Erlang nodes on lo (the escript), with one
// epmd for all of them.

// groupNode starts a distributed node that sends heartbeats to e's group
// from 127.0.0.1, registered with the epmd on epmdPort.
func groupNode(t *testing.T, e *Engine, epmdPort uint16, name, cookie string, args ...string) *beam {
	t.Helper()
	return startBeam(t, epmdPort, append([]string{"name=" + name, "cookie=" + cookie, "dist_if=127.0.0.1",
		"group=" + e.cfg.MulticastAddr.String(), "port=" + strconv.Itoa(e.cfg.Port), "if=127.0.0.1", "ttl=0"}, args...)...)
}

// settle returns once the engine runs no check (a lookup without expect
// whose listening time is over waits for exactly that).
func settle(t *testing.T, e *Engine) NodeList {
	t.Helper()
	nodes, err := e.Discover(context.Background(), WithTimeout(10*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	return nodes
}

// TestEngineErlangCookie: with the Erlang cookie, the node that shares it
// is listed and the one that does not is not; every heartbeat asks the
// checker, whose cache keeps the other node from logging more than one
// error; the listed node never sees our probe but as a hidden node during
// the check. OTP 26's atoms (utf8) decode too.
func TestEngineErlangCookie(t *testing.T) {
	requireErlang(t)
	epmd := startEpmd(t)
	e, logs := loEngine(t, func(c *Config) {
		c.Cookie = []byte("right-cookie")
		c.EpmdPort = int(epmd)
		c.listen = time.Millisecond
		c.CheckTimeout = erlWait // a loaded machine (-race) must not fail a check
	})
	defer func() {
		if t.Failed() {
			t.Logf("engine log:\n%s", logs)
		}
	}()
	ev, unsub := e.Events()
	defer unsub()
	a := groupNode(t, e, epmd, "a@127.0.0.1", "right-cookie")
	b := groupNode(t, e, epmd, "b@127.0.0.1", "wrong-cookie", "atoms=utf8")
	// A heartbeat each until both verdicts are in, as libcluster keeps
	// sending them.
	var rej Event
	beat := time.NewTicker(250 * time.Millisecond)
	defer beat.Stop()
	timeout := time.After(erlWait)
	for joined, rejected := false, false; !joined || !rejected; {
		a.do("beat")
		b.do("beat")
		select {
		case x := <-ev:
			joined = joined || x.Kind == EventJoin && x.Node.Node == "a@127.0.0.1"
			if x.Kind == EventReject && x.Node.Node == "b@127.0.0.1" {
				rej, rejected = x, true
			}
		case <-beat.C:
		case <-timeout:
			t.Fatalf("no join of a and reject of b within %v: nodes %+v, stats %+v", erlWait, e.Nodes(), e.Stats())
		}
	}
	if rej.Err == nil || strings.Contains(rej.Err.Error(), "right-cookie") {
		t.Errorf("reject error %v", rej.Err)
	}
	a.expect("nodeup mcgossip@127.0.0.1 hidden")
	a.expect("nodedown mcgossip@127.0.0.1 hidden")
	before := settle(t, e)
	heard := e.Stats().Heartbeats
	for range 3 {
		a.do("beat")
		b.do("beat")
	}
	waitFor(t, e, "six more heartbeats", func(s Stats) bool { return s.Heartbeats >= heard+6 })
	if len(before) != 1 {
		t.Errorf("listed %v before the last heartbeats", names(before))
	}
	nodes := settle(t, e)
	if got := names(nodes); !slices.Equal(got, []string{"a@127.0.0.1"}) {
		t.Errorf("listed %v", got)
	}
	if got := nodes.Addrs(true); len(got) != 1 || !strings.HasPrefix(got[0], "127.0.0.1:") || nodes[0].Port == 0 {
		t.Errorf("with dist_port: %v", got)
	}
	if _, _, n := b.nodes(); n != 1 {
		t.Errorf("the node with another cookie logged %d errors, want 1 (later heartbeats answered from the cache)", n)
	}
	if visible, hidden, n := a.nodes(); visible != "[]" || hidden != "[]" || n != 0 {
		t.Errorf("the node with the cookie: nodes() = %s, nodes(hidden) = %s, %d log events; want none", visible, hidden, n)
	}
	if s := e.Stats(); s.Checks["cached"] == 0 {
		t.Errorf("checks %v: none answered from the cache", s.Checks)
	}
	for _, want := range []string{"node a@127.0.0.1 at 127.0.0.1 listed: it shares the Erlang cookie", "node b@127.0.0.1 at 127.0.0.1 not listed: libcluster: the node does not share the cookie"} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("no log line %q:\n%s", want, logs)
		}
	}
	if strings.Contains(logs.String(), "right-cookie") {
		t.Errorf("the log shows the cookie")
	}
}

// TestEngineErlangDistPort: without a cookie, dist_port asks epmd for each
// node's port (the node logs nothing) and lists the node with it.
func TestEngineErlangDistPort(t *testing.T) {
	requireErlang(t)
	epmd := startEpmd(t)
	e, _ := loEngine(t, func(c *Config) { c.DistPort = true; c.EpmdPort = int(epmd); c.listen = time.Millisecond })
	ev, unsub := e.Events()
	defer unsub()
	a := groupNode(t, e, epmd, "a@127.0.0.1", "c")
	var j Event
	beat := time.NewTicker(250 * time.Millisecond) // until listed, as libcluster keeps sending
	defer beat.Stop()
	timeout := time.After(erlWait)
	for j.Kind != EventJoin {
		a.do("beat")
		select {
		case j = <-ev:
		case <-beat.C:
		case <-timeout:
			t.Fatalf("a not listed within %v: %+v", erlWait, e.Stats())
		}
	}
	ent, err := queryEpmd(context.Background(), e.recv.Dial, epmd, "a@127.0.0.1", loopback)
	if err != nil {
		t.Fatal(err)
	}
	if j.Node.Port != ent.port {
		t.Errorf("port %d, epmd says %d", j.Node.Port, ent.port)
	}
	if got, want := settle(t, e).Addrs(true), []string{fmt.Sprintf("127.0.0.1:%d", ent.port)}; !slices.Equal(got, want) {
		t.Errorf("Addrs = %v, want %v", got, want)
	}
	if visible, hidden, n := a.nodes(); visible != "[]" || hidden != "[]" || n != 0 {
		t.Errorf("nodes() = %s, nodes(hidden) = %s, %d log events; want none", visible, hidden, n)
	}
}

// TestEngineErlangShare: the engine and a node that receives as Gossip
// does (0.0.0.0:port, reuseaddr only) share the port on one host; both
// hear the heartbeats, and the node hears none but its own.
func TestEngineErlangShare(t *testing.T) {
	requireErlang(t)
	e, _ := loEngine(t, nil)
	ev, unsub := e.Events()
	defer unsub()
	a := startBeam(t, 0, "node=a@127.0.0.1", "group="+e.cfg.MulticastAddr.String(), "port="+strconv.Itoa(e.cfg.Port),
		"if=127.0.0.1", "ttl=0", "listen=true")
	for range 3 {
		a.do("beat")
		a.expect("heard ")
	}
	waitEvent(t, ev, EventJoin, "a@127.0.0.1")
	waitFor(t, e, "three heartbeats", func(s Stats) bool { return s.Heartbeats == 3 })
	a.do("nodes") // a line after any datagram it heard
	for {
		l := <-a.lines
		if strings.HasPrefix(l, "heard ") {
			t.Errorf("the node heard a datagram it did not send: %s", l)
		}
		if strings.HasPrefix(l, "nodes ") {
			break
		}
	}
}
