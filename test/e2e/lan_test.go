package e2e

import (
	"context"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mcgossip/go-discover-mcgossip/internal/lab"
	"github.com/mcgossip/go-discover-mcgossip/provider/mcgossip"
	"github.com/mcgossip/go-discover-mcgossip/provider/mcgossip/wire"
)

// Every LAN (issue 13): IPv6-only, dual-stack and mixed LANs, and a LAN
// that drops IPv4 multicast, where broadcast_only finds everyone. All of
// it runs in lab namespaces: IPv6 multicast, 255.255.255.255 and
// subnet-directed broadcast never reach the host namespace, whose network
// guard would not catch the last one.

// famConfig is labConfig with the families f.
func famConfig(announce bool, f mcgossip.Family) *mcgossip.Config {
	c := labConfig(announce)
	c.Family = f
	return c
}

// labFamily returns the configuration family of a lab host's families.
func labFamily(f lab.Family) mcgossip.Family {
	switch f {
	case lab.IPv6:
		return mcgossip.FamilyIPv6
	case lab.DualStack:
		return mcgossip.FamilyDual
	}
	return mcgossip.FamilyIPv4
}

// idAddrs maps the peers' ids to what lookups list them as.
func idAddrs(peers []mcgossip.Peer) map[wire.InstanceID]string {
	m := map[wire.InstanceID]string{}
	for _, p := range peers {
		m[p.ID] = p.String()
	}
	return m
}

// addrs runs `go-discover-mcgossip -q addrs args...` in h and returns the
// addresses it prints, sorted.
func addrs(t *testing.T, h *lab.Host, args ...string) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := h.Command(ctx, lab.Binary(t), append([]string{"-q", "addrs", "provider=mcgossip", "cookie=" + testCookie}, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("addrs %s in %s: %v: %s", strings.Join(args, " "), h, err, out)
	}
	got := strings.Fields(string(out))
	slices.Sort(got)
	return got
}

// TestLabIPv6Only: on an IPv6-only LAN, engines on the default IPv6 group
// (ff02::114, joined on the interface the kernel routes it to) find each
// other, each listed by its unique-local address, as `addrs family=ipv6`
// and a lookup by the group do too.
func TestLabIPv6Only(t *testing.T) {
	l := lab.New(t, 5, lab.WithFamily(lab.IPv6))
	var want []string
	for _, h := range l.Hosts()[:4] {
		startOn(t, h, famConfig(true, mcgossip.FamilyIPv6), nil)
		want = append(want, h.Addr6.String())
	}
	slices.Sort(want)
	obs := startOn(t, l.Host(5), famConfig(false, mcgossip.FamilyIPv6), nil)
	start := time.Now()
	peers, err := obs.Discover(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if got := addrsOf(peers); !slices.Equal(got, want) {
		t.Errorf("found %v, want %v", got, want)
	}
	t.Logf("a cold lookup of 4 peers over IPv6 took %v", time.Since(start).Round(time.Millisecond))
	if s := obs.Stats(); s.SourceMismatch != 0 {
		t.Errorf("%d source mismatches (multicast must leave from the sealed address)", s.SourceMismatch)
	}
	for _, args := range [][]string{{"family=ipv6", "stable=200ms"}, {"multicast_addr=ff02::114", "expect=4"}} {
		if got := addrs(t, l.Host(5), args...); !slices.Equal(got, want) {
			t.Errorf("addrs %v found %v, want %v", args, got, want)
		}
	}
}

// TestLabMixed: a LAN of IPv4-only, IPv6-only and dual-stack hosts, each
// running an engine of its families, is found completely by a dual-stack
// lookup: every member once, a dual-stack member by the address of the
// family prefer names; single-family lookups find the members they can
// reach, and `addrs family=dual` finds everyone.
func TestLabMixed(t *testing.T) {
	fams := []lab.Family{lab.IPv4, lab.IPv4, lab.IPv6, lab.IPv6, lab.DualStack, lab.DualStack, lab.DualStack}
	var opts []lab.Option
	for i, f := range fams {
		opts = append(opts, lab.WithHostFamily(i+1, f))
	}
	l := lab.New(t, len(fams), opts...)
	members := l.Hosts()[:6]
	ids := map[*lab.Host]wire.InstanceID{}
	for _, h := range members {
		ids[h] = startOn(t, h, famConfig(true, labFamily(h.Family)), nil).ID()
	}
	// want returns what an observer of families f that prefers v6 or not
	// lists: each reachable member by the address it prefers.
	want := func(f mcgossip.Family, prefer6 bool) map[wire.InstanceID]string {
		m := map[wire.InstanceID]string{}
		for _, h := range members {
			switch {
			case h.Family == lab.DualStack && prefer6, h.Family == lab.IPv6 && f&mcgossip.FamilyIPv6 != 0:
				m[ids[h]] = h.Addr6.String()
			case h.Family&lab.IPv4 != 0 && f&mcgossip.FamilyIPv4 != 0, h.Family == lab.DualStack:
				m[ids[h]] = h.Addr.String()
			}
		}
		return m
	}
	obsHost := l.Host(7)
	for _, tc := range []struct {
		name    string
		f       mcgossip.Family
		prefer6 bool
	}{
		{"dual", mcgossip.FamilyDual, false},
		{"dual, prefer ipv6", mcgossip.FamilyDual, true},
		{"ipv4", mcgossip.FamilyIPv4, false},
		{"ipv6", mcgossip.FamilyIPv6, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := famConfig(false, tc.f)
			if tc.prefer6 {
				c.Prefer = mcgossip.FamilyIPv6
			}
			w := want(tc.f, tc.prefer6)
			obs := startOn(t, obsHost, c, nil)
			start := time.Now()
			peers, err := obs.Discover(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if got := idAddrs(peers); len(peers) != len(w) || !maps(got, w) {
				t.Errorf("found %v, want %v", got, w)
			}
			t.Logf("found %d in %v", len(peers), time.Since(start).Round(time.Millisecond))
		})
	}
	var all []string
	for _, h := range members {
		if h.Family&lab.IPv4 != 0 {
			all = append(all, h.Addr.String())
		} else {
			all = append(all, h.Addr6.String())
		}
	}
	slices.Sort(all)
	if got := addrs(t, obsHost, "family=dual", "expect=6"); !slices.Equal(got, all) {
		t.Errorf("addrs family=dual found %v, want %v", got, all)
	}
}

func maps(a, b map[wire.InstanceID]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// TestLabBroadcastOnly: on a LAN whose bridge drops IPv4 multicast (as a
// switch with IGMP snooping and no querier does), multicast engines find
// nothing, and the lookup's log says why and what to do; broadcast_only
// engines find everyone, by the interface's broadcast address and by
// 255.255.255.255 alike, and so does `addrs broadcast_only=true`. The
// broadcasts stay in the lab's namespaces.
func TestLabBroadcastOnly(t *testing.T) {
	l := lab.New(t, 5)
	if err := l.DropIPv4Multicast(true); err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, h := range l.Hosts()[:4] {
		startOn(t, h, labConfig(true), nil)
		bc := labConfig(true)
		bc.BroadcastOnly = true
		bc.Port = mcgossip.DefaultPort + 1
		startOn(t, h, bc, nil)
		want = append(want, h.Addr.String())
	}
	obsHost := l.Host(5)

	logs := newLogBuf()
	p := &mcgossip.Provider{}
	t.Cleanup(func() { p.Close() })
	var got []string
	err := obsHost.Do(func() error {
		var err error
		got, err = p.Addrs(map[string]string{"cookie": testCookie, "timeout": "1s", "announce": "false"}, logs.logger())
		return err
	})
	if err != nil || len(got) != 0 {
		t.Fatalf("multicast through the dropping bridge: %v, %v; want nothing", got, err)
	}
	logs.wait(t, "IGMP or MLD snooping", time.Second)
	logs.wait(t, "broadcast_only=true", time.Second)
	if n, err := l.DroppedIPv4Multicast(); err != nil || n == 0 {
		t.Errorf("the bridge dropped %d packets, %v", n, err)
	}

	for _, limited := range []bool{false, true} {
		bc := labConfig(false)
		bc.BroadcastOnly, bc.Port = true, mcgossip.DefaultPort+1
		if limited {
			bc.MulticastAddr = mcast255
		}
		obs := startOn(t, obsHost, bc, nil)
		start := time.Now()
		peers, err := obs.Discover(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if got := addrsOf(peers); !slices.Equal(got, want) {
			t.Errorf("broadcast (limited %t) found %v, want %v", limited, got, want)
		}
		t.Logf("broadcast (limited %t): found %d in %v", limited, len(peers), time.Since(start).Round(time.Millisecond))
	}
	if got := addrs(t, obsHost, "broadcast_only=true", "port=45893", "stable=200ms"); !slices.Equal(got, want) {
		t.Errorf("addrs broadcast_only=true found %v, want %v", got, want)
	}
}

var mcast255 = netip.MustParseAddr("255.255.255.255")

// TestLabIPv6InterfaceDownUp: eth0 of an IPv6-only host goes down, which
// takes its addresses away, and up again, with its link-local address
// back at once and its unique-local one added again (as SLAAC or a
// network manager would): the engine there joins the group again,
// announces its new address at once, and its peer takes it back under its
// unique-local address. (With the link-local address alone the host could
// not answer: its peers seal unique-local endpoints, which it has no
// route to.)
func TestLabIPv6InterfaceDownUp(t *testing.T) {
	l := lab.New(t, 2, lab.WithFamily(lab.IPv6))
	h := l.Host(1)
	logs := newLogBuf()
	r := startOn(t, h, famConfig(true, mcgossip.FamilyIPv6), logs.logger())
	obs := startOn(t, l.Host(2), famConfig(false, mcgossip.FamilyIPv6), nil)
	ev, unsub := obs.Events()
	defer unsub()
	waitEvent(t, ev, mcgossip.EventJoin, r.ID(), 5*time.Second)
	ip := func(args ...string) {
		t.Helper()
		if out, err := h.Command(context.Background(), "ip", args...).CombinedOutput(); err != nil {
			t.Fatalf("ip %s: %v: %s", strings.Join(args, " "), err, out)
		}
	}
	ip("link", "set", "eth0", "down")
	logs.wait(t, "interface eth0 is gone or down", 5*time.Second)
	waitEvent(t, ev, mcgossip.EventExpire, r.ID(), 10*time.Second)
	ip("link", "set", "eth0", "up")
	ip("addr", "add", h.Addr6.String()+"/64", "dev", "eth0", "nodad")
	logs.wait(t, "joined ff02::114 on eth0 again", 5*time.Second)
	logs.wait(t, "interface eth0 now has the address "+h.Addr6.String(), 5*time.Second)
	deadline := time.After(10 * time.Second)
	for back := false; !back; {
		select {
		case e := <-ev:
			back = e.Peer.ID == r.ID() && (e.Kind == mcgossip.EventJoin || e.Kind == mcgossip.EventUpdate) && e.Peer.Addr == h.Addr6
		case <-deadline:
			t.Fatalf("not back under %v within 10s", h.Addr6)
		}
	}
	peers, err := obs.Discover(context.Background(), mcgossip.WithExpect(1))
	if err != nil || len(peers) != 1 || peers[0].Addr != h.Addr6 {
		t.Errorf("after the interface came back: %v, %v; want %v", addrsOf(peers), err, h.Addr6)
	}
}
