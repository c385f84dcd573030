package mcgossip_test

import (
	"context"
	"errors"
	"net/netip"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mcgossip/go-discover-mcgossip/provider/mcgossip"
	"github.com/mcgossip/go-discover-mcgossip/provider/mcgossip/wire"
)

// Tests of what a real host needs (issue 11), on the in-memory network:
// lookups that leave this host out, the reasons of a lookup that ends
// short, cookies swapped in a running engine.

// TestMemExcludeLocal: a lookup leaves out a peer on the looker's host,
// says so in Heard, and does not count it towards expect; with
// WithExcludeLocal(false) it lists it. The table keeps it either way.
func TestMemExcludeLocal(t *testing.T) {
	checkNoLeak(t)
	n := mcgossip.NewMemNet()
	local := startMem(t, n, memConfig(true))
	remote := startMem(t, n, memConfig(true))
	looker := startMem(t, n, memConfig(false))
	n.ShareHost(looker, local)
	localAddr, remoteAddr := n.Addr(local).Addr().String(), n.Addr(remote).Addr().String()

	var h mcgossip.Heard
	peers, err := looker.Discover(context.Background(), mcgossip.WithExpect(1), mcgossip.WithHeard(&h))
	if err != nil || !slices.Equal(addrsOf(peers), []string{remoteAddr}) {
		t.Fatalf("Discover = %q, %v; want the other host's peer %s alone", addrsOf(peers), err, remoteAddr)
	}
	// The local peer may not have answered yet: ask until it is known.
	for deadline := time.Now().Add(3 * time.Second); len(looker.Peers()) < 2; {
		if time.Now().After(deadline) {
			t.Fatalf("the looker's table has %q, want both peers", addrsOf(looker.Peers()))
		}
		looker.Discover(context.Background(), mcgossip.WithExpect(1))
	}

	// expect counts the other hosts' peers only: 2 is never met.
	start := time.Now()
	peers, err = looker.Discover(context.Background(), mcgossip.WithExpect(2), mcgossip.WithTimeout(300*time.Millisecond), mcgossip.WithHeard(&h))
	if took := time.Since(start); err != nil || len(peers) != 1 || took < 300*time.Millisecond {
		t.Errorf("expect=2: %q, %v after %v; want the remote peer alone, at the timeout", addrsOf(peers), err, took)
	}
	if len(h.Local) != 1 || h.Local[0].ID != local.ID() {
		t.Errorf("Heard.Local = %v, want the local peer %s", h.Local, local.ID())
	}
	if want := "left out 1 peer at this host's own addresses (" + localAddr + "): exclude_local=false lists them"; !strings.Contains(h.String(), want) {
		t.Errorf("Heard = %q, want it to contain %q", h, want)
	}

	peers, err = looker.Discover(context.Background(), mcgossip.WithExpect(2), mcgossip.WithExcludeLocal(false), mcgossip.WithHeard(&h))
	if want := []string{localAddr, remoteAddr}; err != nil || !slices.Equal(addrsOf(peers), want) || len(h.Local) != 0 {
		t.Errorf("WithExcludeLocal(false): %q, %v, left out %v; want %q and none left out", addrsOf(peers), err, h.Local, want)
	}
	// Config.ExcludeLocal false is the engine's default for its lookups.
	cfg := memConfig(false)
	cfg.ExcludeLocal = false
	keeper := startMem(t, n, cfg)
	n.ShareHost(keeper, local)
	if peers, err := keeper.Discover(context.Background(), mcgossip.WithExpect(2)); err != nil || len(peers) != 2 {
		t.Errorf("ExcludeLocal false: %q, %v; want both peers", addrsOf(peers), err)
	}
}

// TestMemHeardOtherCookie: a lookup that finds nothing tells of the
// datagrams sealed with another cookie, and of their senders.
func TestMemHeardOtherCookie(t *testing.T) {
	checkNoLeak(t)
	n := mcgossip.NewMemNet()
	other := memConfig(true)
	other.Cookie = "another-cookie-5b2e8f1a9c3d7e60"
	stranger := startMem(t, n, other)
	looker := startMem(t, n, memConfig(false))
	var h mcgossip.Heard
	peers, err := looker.Discover(context.Background(), mcgossip.WithTimeout(400*time.Millisecond), mcgossip.WithHeard(&h))
	if err != nil || len(peers) != 0 {
		t.Fatalf("Discover = %q, %v; want nothing", addrsOf(peers), err)
	}
	from := n.Addr(stranger).Addr()
	if h.OtherCookie == 0 || h.Datagrams < h.OtherCookie || !slices.Equal(h.OtherCookieFrom, []netip.Addr{from}) || !h.Misconfigured() {
		t.Fatalf("Heard = %+v; want datagrams sealed with another cookie, from %s", h, from)
	}
	s := h.String()
	for _, want := range []string{"sealed with another cookie (from " + from.String() + ")", "check that every node has this cookie"} {
		if !strings.Contains(s, want) {
			t.Errorf("Heard.String() = %q, want %q in it", s, want)
		}
	}
	if strings.Contains(s, other.Cookie) || strings.Contains(s, testCookie) {
		t.Errorf("Heard.String() = %q shows a cookie", s)
	}
	if all := looker.Heard(); all.OtherCookie < h.OtherCookie || len(all.Local) != 0 {
		t.Errorf("Engine.Heard() = %+v; want at least the lookup's %d", all, h.OtherCookie)
	}
}

// TestMemHeardStale: datagrams from a node whose clock is a minute ahead
// are told as stale, with their sender.
func TestMemHeardStale(t *testing.T) {
	checkNoLeak(t)
	n := mcgossip.NewMemNet()
	var ahead mcgossip.Clock
	ahead.Advance(time.Minute)
	skewed, err := mcgossip.NewMemEngineAt(n, memConfig(true), nil, &ahead)
	if err != nil {
		t.Fatal(err)
	}
	defer skewed.Close()
	looker := startMem(t, n, memConfig(false))
	var h mcgossip.Heard
	if _, err := looker.Discover(context.Background(), mcgossip.WithTimeout(400*time.Millisecond), mcgossip.WithHeard(&h)); err != nil {
		t.Fatal(err)
	}
	from := n.Addr(skewed).Addr()
	if h.Stale == 0 || !slices.Equal(h.StaleFrom, []netip.Addr{from}) || !h.Misconfigured() ||
		!strings.Contains(h.String(), "more than 30s from this host's clock (from "+from.String()+")") {
		t.Fatalf("Heard = %+v (%q); want stale datagrams from %s", h, h, from)
	}
}

// TestMemHeardNothing: alone on the network, a lookup heard nothing (its
// own multicasts do not count, but they came back: the link is up), and
// says what to check.
func TestMemHeardNothing(t *testing.T) {
	checkNoLeak(t)
	n := mcgossip.NewMemNet()
	looker := startMem(t, n, memConfig(false))
	var h mcgossip.Heard
	if _, err := looker.Discover(context.Background(), mcgossip.WithTimeout(100*time.Millisecond), mcgossip.WithHeard(&h)); err != nil {
		t.Fatal(err)
	}
	if h.Datagrams != 0 || h.Misconfigured() || !h.Silent || !strings.HasPrefix(h.String(), "heard nothing from any other host, though this engine's own multicast comes back") ||
		!strings.Contains(h.String(), "IGMP or MLD snooping") || !strings.Contains(h.String(), "broadcast_only=true") {
		t.Errorf("Heard = %+v (%q); want nothing heard, silent, and the snooping hint", h, h)
	}
	if s := looker.Stats(); s.Loopback == 0 {
		t.Errorf("stats %+v: the looker's own multicasts never came back; the test proves nothing", s)
	}
}

// TestMemSetCookies: SetCookies swaps an engine's keys at once, keeping its
// instance id: lookups with the new cookie find it, with the old one they
// do not; an unchanged call says so, an error keeps the keys.
func TestMemSetCookies(t *testing.T) {
	checkNoLeak(t)
	n := mcgossip.NewMemNet()
	logs := newLogBuf()
	a, err := mcgossip.NewMemEngine(n, memConfig(true), logs.logger())
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	const newCookie = "rotated-cookie-8d1e5b7a2c9f4e61"
	oldID, newID := keyID(testCookie), keyID(newCookie)
	withCookie := func(c string) *mcgossip.Config {
		cfg := memConfig(false)
		cfg.Cookie = c
		cfg.Timeout = 300 * time.Millisecond
		return cfg
	}
	find := func(what, cookie string, want int) {
		t.Helper()
		e := startMem(t, n, withCookie(cookie))
		peers, err := e.Discover(context.Background(), mcgossip.WithExpect(1))
		if err != nil || len(peers) != want || (want == 1 && peers[0].ID != a.ID()) {
			t.Fatalf("%s: found %q, %v; want %d peer(s), engine %s", what, addrsOf(peers), err, want, a.ID())
		}
	}
	find("before, old cookie", testCookie, 1)

	ch, err := a.SetCookies(newCookie)
	if err != nil || !ch.Changed() || !slices.Equal(ch.Old, []string{oldID}) || !slices.Equal(ch.New, []string{newID}) ||
		ch.String() != "key "+newID+" (was key "+oldID+")" {
		t.Fatalf("SetCookies = %+v (%q), %v; want %s replacing %s", ch, ch, err, newID, oldID)
	}
	find("after, new cookie", newCookie, 1)
	find("after, old cookie", testCookie, 0)

	if ch, err := a.SetCookies(newCookie); err != nil || ch.Changed() || ch.String() != "unchanged: key "+newID {
		t.Errorf("SetCookies again = %q, %v; want unchanged", ch, err)
	}
	for _, bad := range [][]string{{""}, {newCookie, strings.Repeat("x", mcgossip.MaxCookieLen+1)}} {
		if _, err := a.SetCookies(bad[0], bad[1:]...); err == nil || strings.Contains(err.Error(), newCookie) {
			t.Errorf("SetCookies(bad) = %v; want an error without the cookie", err)
		}
	}
	many := []string{}
	for i := range mcgossip.MaxCookies {
		many = append(many, newCookie+strings.Repeat("!", i+1))
	}
	if _, err := a.SetCookies(newCookie, many...); err == nil || !strings.Contains(err.Error(), "at most 8") {
		t.Errorf("SetCookies with %d cookies = %v; want an error", len(many)+1, err)
	}
	find("after the errors, new cookie", newCookie, 1)

	// The old cookie as an older one: a node still sealing with it, that
	// opens the new one, finds it again (the rotation's first step).
	if ch, err := a.SetCookies(newCookie, testCookie); err != nil || ch.String() != "key "+newID+", older "+oldID+" (was key "+newID+")" {
		t.Errorf("SetCookies with an older one = %q, %v", ch, err)
	}
	cfg := withCookie(testCookie)
	cfg.OldCookies = []string{newCookie}
	if peers, err := startMem(t, n, cfg).Discover(context.Background(), mcgossip.WithExpect(1)); err != nil || len(peers) != 1 {
		t.Errorf("a node of the old cookie that opens the new one: found %q, %v; want the engine", addrsOf(peers), err)
	}
	if strings.Contains(logs.String(), newCookie) || strings.Contains(logs.String(), testCookie) {
		t.Errorf("the log shows a cookie:\n%s", logs)
	}
	if _, err := a.ReloadCookies(); !errors.Is(err, mcgossip.ErrNoCookieFile) {
		t.Errorf("ReloadCookies without a cookie_file = %v, want ErrNoCookieFile", err)
	}
	a.Close()
	if _, err := a.SetCookies(newCookie); !errors.Is(err, mcgossip.ErrClosed) {
		t.Errorf("SetCookies after Close = %v, want ErrClosed", err)
	}
}

// TestMemReloadCookies: ReloadCookies reads the engine's cookie_file again:
// a rotated file swaps the keys, a bad one keeps them (the error names the
// file), a file open to others is warned about; no cookie in any of it.
func TestMemReloadCookies(t *testing.T) {
	checkNoLeak(t)
	n := mcgossip.NewMemNet()
	const first, second = "first-cookie-0a1b2c3d4e5f6071", "second-cookie-8f9e0d1c2b3a4958"
	path := writeFile(t, first+"\n")
	cfg, err := mcgossip.ParseConfig(map[string]string{"cookie_file": path})
	if err != nil {
		t.Fatal(err)
	}
	logs := newLogBuf()
	e, err := mcgossip.NewMemEngine(n, cfg, logs.logger())
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	if ch, err := e.ReloadCookies(); err != nil || ch.Changed() {
		t.Errorf("ReloadCookies of an unchanged file = %q, %v; want unchanged", ch, err)
	}
	writeFileAt(t, path, second+"\n"+first+"\n")
	if ch, err := e.ReloadCookies(); err != nil || ch.String() != "key "+keyID(second)+", older "+keyID(first)+" (was key "+keyID(first)+")" {
		t.Errorf("ReloadCookies of a rotated file = %q, %v", ch, err)
	}
	writeFileAt(t, path, "\n\n")
	if _, err := e.ReloadCookies(); err == nil || !strings.Contains(err.Error(), `invalid cookie_file "`+path+`"`) {
		t.Errorf("ReloadCookies of a blank file = %v; want an error naming the file", err)
	}
	if got := keyIDsOf(e.Keyring()); !slices.Equal(got, []string{keyID(second), keyID(first)}) {
		t.Errorf("after a failed reload the keys are %v, want the last good ones", got)
	}
	writeFileAt(t, path, second+"\n")
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := e.ReloadCookies(); err != nil {
		t.Fatal(err)
	}
	logs.wait(t, `[WARN] discover-mcgossip: cookie_file "`+path+`" is open to its group or to others (mode 0644)`, time.Second)
	for _, c := range []string{first, second} {
		if strings.Contains(logs.String(), c) {
			t.Errorf("the log shows a cookie:\n%s", logs)
		}
	}
}

// TestMemConfigWarnings: an engine logs each configuration warning once,
// when it starts.
func TestMemConfigWarnings(t *testing.T) {
	checkNoLeak(t)
	n := mcgossip.NewMemNet()
	cfg := memConfig(true)
	cfg.MulticastAddr = netip.MustParseAddr("224.0.0.251")
	cfg.Port = 5353
	logs := newLogBuf()
	e, err := mcgossip.NewMemEngine(n, cfg, logs.logger())
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	// They are logged before NewEngine returns.
	for _, w := range []string{"is the group of mDNS", "224.0.0.0/24, the local network control block", "port 5353 is the port of mDNS"} {
		if got := logs.count("[WARN] discover-mcgossip: "); got != 3 || logs.count(w) != 1 {
			t.Errorf("%d warnings, %d with %q; want 3, and that one once:\n%s", got, logs.count(w), w, logs)
		}
	}
}

func keyID(cookie string) string { return strings.TrimPrefix(wire.DeriveKey(cookie).String(), "key ") }

func keyIDsOf(kr *wire.Keyring) []string {
	var ids []string
	for _, k := range kr.Keys() {
		ids = append(ids, strings.TrimPrefix(k.String(), "key "))
	}
	return ids
}
