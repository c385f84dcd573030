package mcgossip_test

import (
	"net/netip"
	"os"
	"regexp"
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
	mk("192.0.2.5:0")
	mk("192.0.2.5:0") // another engine of the same host: one address
	mk("192.0.2.1:8302")
	watcher := mk("192.0.2.1:8301")
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
	if want := []string{"192.0.2.1:8301", "192.0.2.1:8302", "192.0.2.5"}; !slices.Equal(got, want) {
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
	// The lookup ran to its timeout and heard nobody: one INFO line says so.
	line := logs.wait(t, "[INFO] discover-mcgossip: no peers found in ", time.Second)
	if !regexp.MustCompile(`no peers found in 2\d\dms on 230\.1\.1\.251:\d+: heard nothing from any other host, though this engine's own multicast comes back, .*IGMP or MLD snooping.*broadcast_only=true`).MatchString(line) {
		t.Errorf("line %q: want how long, the group, and that nothing was heard, with the snooping hint", line)
	}
	logs.wait(t, "[WARN] discover-mcgossip: no cookie set", time.Second)
}

// TestProviderOwnEnginesAndLogger: the provider's engines never find each
// other (they are all this process), and each engine logs to the logger of
// the latest Addrs call that used it, a nil one discarding.
func TestProviderOwnEnginesAndLogger(t *testing.T) {
	checkNoLeak(t)
	port := nextPort()
	c := loConfig(port, true)
	c.Advertise = netip.MustParseAddr("192.0.2.9")
	startLo(t, c, nil)

	p := &mcgossip.Provider{}
	defer p.Close()
	args := func(announce, expect string) map[string]string {
		// The provider's engines are at 127.0.0.1, this host's: only
		// exclude_local=false keeps them, to show that their ids do not.
		return map[string]string{"port": strconv.Itoa(port), "cookie": testCookie, "announce": announce,
			"expect": expect, "timeout": "1s", "exclude_local": "false"}
	}
	announcerLog, observerLog := newLogBuf(), newLogBuf()
	got, err := p.Addrs(args("true", "1"), announcerLog.logger())
	if err != nil || !slices.Equal(got, []string{"192.0.2.9"}) {
		t.Fatalf("announcing Addrs = %q, %v; want the other engine only", got, err)
	}
	// The observer's lookup sees the provider's announcing engine too (its
	// expect=2 is met at once), but Addrs leaves it out.
	start := time.Now()
	got, err = p.Addrs(args("false", "2"), observerLog.logger())
	if err != nil || !slices.Equal(got, []string{"192.0.2.9"}) {
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
	responder(oldC, "192.0.2.21")
	responder(newC, "192.0.2.22")
	oldObs := loConfig(port, false)
	oldObs.Cookie = oldC
	watcher := startLo(t, oldObs, nil)
	ev, unsub := watcher.Events()
	defer unsub()

	file := writeFile(t, oldC+"\n")
	p := &mcgossip.Provider{}
	defer p.Close()
	args := map[string]string{"port": strconv.Itoa(port), "cookie_file": file, "expect": "1", "advertise": "192.0.2.23"}
	if got, err := p.Addrs(args, nil); err != nil || !slices.Equal(got, []string{"192.0.2.21"}) {
		t.Fatalf("with the old cookie: %q, %v", got, err)
	}
	j := waitEvent(t, ev, mcgossip.EventJoin, [16]byte{}, 5*time.Second)
	for j.Peer.Addr.String() != "192.0.2.23" {
		j = waitEvent(t, ev, mcgossip.EventJoin, [16]byte{}, 5*time.Second)
	}

	writeFileAt(t, file, newC+"\n")
	logs := newLogBuf()
	if got, err := p.Addrs(args, logs.logger()); err != nil || !slices.Equal(got, []string{"192.0.2.22"}) {
		t.Errorf("with the new cookie: %q, %v", got, err)
	}
	if p.Engines() != 1 {
		t.Errorf("%d engines, want 1: the new one replaces the old", p.Engines())
	}
	logs.wait(t, "[INFO] discover-mcgossip: the cookies of "+file+" changed", time.Second)
	waitEvent(t, ev, mcgossip.EventLeave, j.Peer.ID, 5*time.Second)
}

// TestProviderExcludeLocal: on real sockets, Addrs leaves out the engine
// at this host's address (127.0.0.1 here) and keeps the one that
// advertises another host's; expect counts only the latter, and the short
// lookup's line says what it left out; exclude_local=false lists both. The
// inline cookie is warned about once per engine.
func TestProviderExcludeLocal(t *testing.T) {
	checkNoLeak(t)
	port := nextPort()
	startLo(t, loConfig(port, true), nil) // at 127.0.0.1
	startLo(t, withAdvertise(loConfig(port, true), 7), nil)

	p := &mcgossip.Provider{}
	defer p.Close()
	logs := newLogBuf()
	args := func(kv ...string) map[string]string {
		m := map[string]string{"port": strconv.Itoa(port), "cookie": testCookie, "announce": "false", "timeout": "500ms"}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	if got, err := p.Addrs(args("expect", "1"), logs.logger()); err != nil || !slices.Equal(got, []string{"192.0.2.7"}) {
		t.Errorf("Addrs = %q, %v; want 192.0.2.7 alone", got, err)
	}
	got, err := p.Addrs(args("expect", "2"), logs.logger())
	if err != nil || !slices.Equal(got, []string{"192.0.2.7"}) {
		t.Errorf("Addrs expect=2 = %q, %v; want 192.0.2.7 alone, at the timeout", got, err)
	}
	line := logs.wait(t, "found 1 of the 2 expected peers in ", time.Second)
	if !strings.HasPrefix(line, "[INFO] discover-mcgossip: ") || !strings.Contains(line, "left out 1 peer at this host's own addresses (127.0.0.1): exclude_local=false lists them") {
		t.Errorf("short lookup line %q: want INFO, saying it left 127.0.0.1 out", line)
	}
	if got, err := p.Addrs(args("expect", "2", "exclude_local", "false"), logs.logger()); err != nil || !slices.Equal(got, []string{"127.0.0.1", "192.0.2.7"}) {
		t.Errorf("Addrs exclude_local=false = %q, %v; want both", got, err)
	}
	if p.Engines() != 1 {
		t.Errorf("%d engines; exclude_local is a per-lookup setting, want 1", p.Engines())
	}
	if n := logs.count("[WARN] discover-mcgossip: the cookie is inline in the config string (cookie=)"); n != 1 || strings.Contains(logs.String(), testCookie) {
		t.Errorf("%d inline cookie warnings (want 1, without the cookie):\n%s", n, logs)
	}
}

// TestProviderWarnings: a cookie_file open to others and the group and port
// of SSDP are warned about when the engine starts, once; a wrong cookie's
// lookup says what it heard, as a warning.
func TestProviderWarnings(t *testing.T) {
	checkNoLeak(t)
	c := loConfig(1900, true)
	c.MulticastAddr = netip.MustParseAddr("239.255.255.250")
	c.Cookie = "another-cookie-3e8a1f5c7b9d2046"
	c.Interval = 100 * time.Millisecond
	startLo(t, c, nil)

	file := writeFile(t, testCookie+"\n")
	if err := os.Chmod(file, 0o644); err != nil {
		t.Fatal(err)
	}
	p := &mcgossip.Provider{}
	defer p.Close()
	logs := newLogBuf()
	args := map[string]string{"port": "1900", "multicast_addr": "239.255.255.250", "cookie_file": file, "announce": "false", "timeout": "500ms"}
	for range 2 {
		if got, err := p.Addrs(args, logs.logger()); err != nil || len(got) != 0 {
			t.Fatalf("Addrs = %q, %v; want nothing", got, err)
		}
	}
	for _, w := range []string{
		`cookie_file "` + file + `" is open to its group or to others (mode 0644)`,
		"multicast_addr 239.255.255.250 is the group of SSDP (UPnP) and WS-Discovery",
		"port 1900 is the port of SSDP (UPnP)",
	} {
		if n := logs.count("[WARN] discover-mcgossip: " + w); n != 1 {
			t.Errorf("%d lines warning %q, want 1:\n%s", n, w, logs)
		}
	}
	// (On lo the sources are 0.0.0.0: no "from"; the lab tests have them.)
	if n := logs.count("[WARN] discover-mcgossip: no peers found in "); n != 2 || logs.count(" sealed with another cookie: a node or cluster with another cookie shares the group") != 2 {
		t.Errorf("want two WARN lines of lookups that heard another cookie:\n%s", logs)
	}
	if strings.Contains(logs.String(), testCookie) || strings.Contains(logs.String(), c.Cookie) {
		t.Errorf("the log shows a cookie:\n%s", logs)
	}
}
