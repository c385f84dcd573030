package e2e

import (
	"net/netip"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	discover "github.com/hashicorp/go-discover"

	"github.com/mcgossip/go-discover-mcgossip/provider/mcgossip"
)

// The provider satisfies go-discover's interface (structurally: the
// library does not import go-discover; only this test does).
var _ discover.Provider = (*mcgossip.Provider)(nil)

// TestGoDiscover drives the provider through the real go-discover host,
// as Consul and Nomad do.
func TestGoDiscover(t *testing.T) {
	port := nextPort()
	for _, a := range []string{"192.0.2.7:8301", "192.0.2.8:8301"} {
		c := loConfig(port, true)
		ap := netip.MustParseAddrPort(a)
		c.Advertise, c.AdvertisePort = ap.Addr(), ap.Port()
		startOn(t, nil, c, nil)
	}
	p := &mcgossip.Provider{}
	defer p.Close()
	d, err := discover.New(discover.WithProviders(map[string]discover.Provider{"mcgossip": p}))
	if err != nil {
		t.Fatal(err)
	}
	logs := newLogBuf()
	cfg := "provider=mcgossip port=" + strconv.Itoa(port) + ` cookie="` + testCookie + `" announce=false expect=2 timeout=5s`
	got, err := d.Addrs(cfg, logs.logger())
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"192.0.2.7:8301", "192.0.2.8:8301"}; !slices.Equal(got, want) {
		t.Errorf("Addrs = %q, want %q", got, want)
	}
	logs.wait(t, `[DEBUG] discover: Using provider "mcgossip"`, 0)
	logs.wait(t, "[DEBUG] discover-mcgossip: lookup found 2 peers", 0)

	if _, err := d.Addrs("provider=mcgossip timeuot=1s", logs.logger()); err == nil ||
		!strings.Contains(err.Error(), `discover-mcgossip: unknown key "timeuot" (did you mean "timeout"?)`) {
		t.Errorf("typo through go-discover: %v", err)
	}
	if h := d.Help(); !strings.Contains(h, "mcgossip:\n\n    provider:        \"mcgossip\"") {
		t.Errorf("go-discover's help lacks the provider's:\n%s", h)
	}
	if !slices.Contains(d.Names(), "mcgossip") {
		t.Errorf("names %v", d.Names())
	}
}

// TestConfigStringRoundTrip: String's output, parsed the way go-discover
// parses a retry_join string, gives the same Config back.
func TestConfigStringRoundTrip(t *testing.T) {
	t.Setenv(mcgossip.CookieEnv, "")
	for _, args := range []map[string]string{
		nil,
		{"port": "4000", "multicast_addr": "239.1.2.3", "if_addr": "10.1.2.3", "multicast_ttl": "0", "iface": "eth0,eth1",
			"advertise": "[2001:db8::1]:80", "name": `rack "a" = 1`, "announce": "false", "interval": "1.5s",
			"timeout": "750ms", "stable": "0s", "expect": "3"},
		{"advertise": ":8301", "name": "x"},
		{"advertise": "192.0.2.1"},
	} {
		want, err := mcgossip.ParseConfig(args)
		if err != nil {
			t.Fatal(err)
		}
		parsed, err := discover.Parse(want.String())
		if err != nil {
			t.Fatalf("go-discover cannot parse %q: %v", want, err)
		}
		got, err := mcgossip.ParseConfig(parsed)
		if err != nil {
			t.Fatalf("ParseConfig(%q): %v", want, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("round trip of %q\n got %+v\nwant %+v", want, got, want)
		}
	}
}
