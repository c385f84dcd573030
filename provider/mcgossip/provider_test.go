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
