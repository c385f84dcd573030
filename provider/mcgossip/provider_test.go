package mcgossip_test

import (
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mcgossip/go-discover-mcgossip/provider/mcgossip"
)

func TestProviderAddrs(t *testing.T) {
	checkNoLeak(t)
	port := nextPort()
	mk := func(advertise string) *mcgossip.Engine {
		c := loConfig(port, true)
		ap := netip.MustParseAddrPort(advertise)
		c.Advertise, c.AdvertisePort = ap.Addr(), ap.Port()
		return startLo(t, c, nil)
	}
	mk("127.0.0.5:0")
	mk("127.0.0.5:0") // another engine of the same host: one address
	mk("127.0.0.1:8302")
	watcher := mk("127.0.0.1:8301")
	wev, wunsub := watcher.Events()
	defer wunsub()

	p := &mcgossip.Provider{}
	defer p.Close()
	args := map[string]string{"provider": "mcgossip", "port": strconv.Itoa(port), "cookie": testCookie,
		"announce": "false", "expect": "4"}
	got, err := p.Addrs(args, nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"127.0.0.1:8301", "127.0.0.1:8302", "127.0.0.5"}; !slices.Equal(got, want) {
		t.Errorf("Addrs = %q, want %q", got, want)
	}

	// Same network settings, other per-call settings: the same engine,
	// with the new logger.
	logs := newLogBuf()
	args["timeout"], args["expect"] = "2s", "0"
	if got, err = p.Addrs(args, logs.logger()); err != nil || len(got) != 3 {
		t.Errorf("second Addrs = %q, %v", got, err)
	}
	if p.Engines() != 1 {
		t.Errorf("%d engines, want 1 shared", p.Engines())
	}
	logs.wait(t, "[DEBUG] discover-mcgossip: lookup found 4 peers", time.Second)

	// A bad key starts nothing.
	if _, err := p.Addrs(map[string]string{"provider": "mcgossip", "prot": "1"}, nil); err == nil ||
		!strings.HasPrefix(err.Error(), "discover-mcgossip: unknown key \"prot\"") {
		t.Errorf("bad key: %v", err)
	}

	// announce defaults to true in-process: the embedding host becomes
	// discoverable, and its engine is a second one.
	delete(args, "announce")
	args["expect"] = "4"
	if got, err = p.Addrs(args, nil); err != nil || len(got) != 3 {
		t.Errorf("announcing Addrs = %q, %v", got, err)
	}
	if p.Engines() != 2 {
		t.Errorf("%d engines, want 2", p.Engines())
	}
	j := waitEvent(t, wev, mcgossip.EventJoin, [16]byte{}, 5*time.Second)
	for j.Peer.Addr.String() != "127.0.0.1" || j.Peer.Port != 0 {
		j = waitEvent(t, wev, mcgossip.EventJoin, [16]byte{}, 5*time.Second)
	}

	// Close stops both: the announcing one says goodbye.
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	waitEvent(t, wev, mcgossip.EventLeave, j.Peer.ID, 5*time.Second)
	if p.Engines() != 0 {
		t.Errorf("%d engines after Close", p.Engines())
	}
}

func TestProviderNoPeers(t *testing.T) {
	p := &mcgossip.Provider{}
	defer p.Close()
	logs := newLogBuf()
	start := time.Now()
	got, err := p.Addrs(map[string]string{"port": strconv.Itoa(nextPort()), "timeout": "200ms", "announce": "false"}, logs.logger())
	if err != nil || len(got) != 0 || got == nil {
		t.Errorf("Addrs = %#v, %v; want an empty list and no error", got, err)
	}
	if time.Since(start) < 200*time.Millisecond {
		t.Errorf("returned after %v, before the timeout", time.Since(start))
	}
	logs.wait(t, "[INFO] discover-mcgossip: no peers found in 200ms", time.Second)
	logs.wait(t, "[WARN] discover-mcgossip: no cookie set", time.Second)
}

// TestProviderOwnEnginesAndLogger: the provider's engines never find each
// other (they are all this process), and each engine logs to the logger of
// the latest Addrs call that used it, a nil one discarding.
func TestProviderOwnEnginesAndLogger(t *testing.T) {
	checkNoLeak(t)
	port := nextPort()
	c := loConfig(port, true)
	c.Advertise = netip.MustParseAddr("127.0.0.9")
	startLo(t, c, nil)

	p := &mcgossip.Provider{}
	defer p.Close()
	args := func(announce, expect string) map[string]string {
		return map[string]string{"port": strconv.Itoa(port), "cookie": testCookie, "announce": announce,
			"expect": expect, "timeout": "1s"}
	}
	announcerLog, observerLog := newLogBuf(), newLogBuf()
	got, err := p.Addrs(args("true", "1"), announcerLog.logger())
	if err != nil || !slices.Equal(got, []string{"127.0.0.9"}) {
		t.Fatalf("announcing Addrs = %q, %v; want the other engine only", got, err)
	}
	// The observer's lookup sees the provider's announcing engine too (its
	// expect=2 is met at once), but Addrs leaves it out.
	start := time.Now()
	got, err = p.Addrs(args("false", "2"), observerLog.logger())
	if err != nil || !slices.Equal(got, []string{"127.0.0.9"}) {
		t.Errorf("observing Addrs = %q, %v; want the other engine, not the provider's own", got, err)
	}
	if took := time.Since(start); took >= time.Second {
		t.Errorf("observing Addrs took %v: it did not see two peers", took)
	}
	observerLog.wait(t, "lookup found 2 peers", time.Second)

	// A nil logger silences the announcing engine from then on.
	if _, err := p.Addrs(args("true", "1"), nil); err != nil {
		t.Fatal(err)
	}
	if p.Engines() != 2 {
		t.Fatalf("%d engines, want 2", p.Engines())
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	observerLog.wait(t, "stopped", time.Second)
	if n := announcerLog.count("stopped"); n != 0 {
		t.Errorf("the announcing engine logged to a replaced logger:\n%s", announcerLog)
	}
}

// TestProviderCookieFileRotation: when the cookie_file changes between two
// Addrs calls, the provider replaces its engine: the new one seals with the
// new cookie, and the old one says goodbye, so the process no longer
// answers to the retired cookie.
func TestProviderCookieFileRotation(t *testing.T) {
	checkNoLeak(t)
	const oldC, newC = "rotation-old-cookie-1f2e3d4c", "rotation-new-cookie-9a8b7c6d"
	port := nextPort()
	responder := func(cookie, addr string) {
		c := loConfig(port, true)
		c.Cookie, c.Advertise = cookie, netip.MustParseAddr(addr)
		startLo(t, c, nil)
	}
	responder(oldC, "127.0.0.21")
	responder(newC, "127.0.0.22")
	oldObs := loConfig(port, false)
	oldObs.Cookie = oldC
	watcher := startLo(t, oldObs, nil)
	ev, unsub := watcher.Events()
	defer unsub()

	file := writeFile(t, oldC+"\n")
	p := &mcgossip.Provider{}
	defer p.Close()
	args := map[string]string{"port": strconv.Itoa(port), "cookie_file": file, "expect": "1", "advertise": "127.0.0.23"}
	if got, err := p.Addrs(args, nil); err != nil || !slices.Equal(got, []string{"127.0.0.21"}) {
		t.Fatalf("with the old cookie: %q, %v", got, err)
	}
	j := waitEvent(t, ev, mcgossip.EventJoin, [16]byte{}, 5*time.Second)
	for j.Peer.Addr.String() != "127.0.0.23" {
		j = waitEvent(t, ev, mcgossip.EventJoin, [16]byte{}, 5*time.Second)
	}

	writeFileAt(t, file, newC+"\n")
	logs := newLogBuf()
	if got, err := p.Addrs(args, logs.logger()); err != nil || !slices.Equal(got, []string{"127.0.0.22"}) {
		t.Errorf("with the new cookie: %q, %v", got, err)
	}
	if p.Engines() != 1 {
		t.Errorf("%d engines, want 1: the new one replaces the old", p.Engines())
	}
	logs.wait(t, "[INFO] discover-mcgossip: the cookies of "+file+" changed", time.Second)
	waitEvent(t, ev, mcgossip.EventLeave, j.Peer.ID, 5*time.Second)
}
