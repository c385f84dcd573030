package mcgossip_test

import (
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/mcgossip/go-discover-mcgossip/provider/mcgossip"
	"github.com/mcgossip/go-discover-mcgossip/provider/mcgossip/wire"
)

// writeFile writes content to a new file and returns its path.
func writeFile(t *testing.T, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "cookie")
	writeFileAt(t, p, content)
	return p
}

// writeFileAt writes content to the file at path.
func writeFileAt(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestParseConfigErrors(t *testing.T) {
	t.Setenv(mcgossip.CookieEnv, "")
	emptyFile := writeFile(t, "\n  \n\t\n")
	manyFile := writeFile(t, "c1\nc2\nc3\nc4\nc5\nc6\nc7\nc8\nc9\n")
	bigFile := writeFile(t, strings.Repeat("x", 70<<10))
	missing := filepath.Join(t.TempDir(), "nope")
	long := strings.Repeat("SECRET", 1000)
	longFile := writeFile(t, "first-cookie-0123456789\n"+long+"\n")

	cases := []struct {
		name string
		args map[string]string
		want []string // substrings of the error, after the common prefix
	}{
		{"provider", map[string]string{"provider": "mdns"}, []string{`invalid provider "mdns"`, `must be "mcgossip"`}},
		{"provider empty", map[string]string{"provider": ""}, []string{`invalid provider ""`}},
		{"port zero", map[string]string{"port": "0"}, []string{`invalid port "0"`, "integer from 1 to 65535"}},
		{"port big", map[string]string{"port": "70000"}, []string{`invalid port "70000"`, "integer from 1 to 65535"}},
		{"port text", map[string]string{"port": "http"}, []string{`invalid port "http"`}},
		{"port negative", map[string]string{"port": "-1"}, []string{`invalid port "-1"`}},
		{"multicast_addr unicast", map[string]string{"multicast_addr": "10.0.0.1"}, []string{`invalid multicast_addr "10.0.0.1"`, "must be a multicast group, IPv4 (224.0.0.0 to 239.255.255.255", "IPv6 (ff00::/8"}},
		{"multicast_addr v6 unicast", map[string]string{"multicast_addr": "2001:db8::1"}, []string{`invalid multicast_addr "2001:db8::1"`, "such as ff02::114"}},
		{"multicast_addr v6 interface-local", map[string]string{"multicast_addr": "ff01::114"}, []string{`invalid multicast_addr "ff01::114"`, "of link-local scope or wider"}},
		{"multicast_addr v6 zone", map[string]string{"multicast_addr": "ff02::114%eth0"}, []string{`invalid multicast_addr "ff02::114%eth0"`}},
		{"multicast_addr two v4", map[string]string{"multicast_addr": "230.1.1.251,239.1.1.1"}, []string{`invalid multicast_addr "230.1.1.251,239.1.1.1"`, "one of each"}},
		{"multicast_addr two v6", map[string]string{"multicast_addr": "ff02::114,ff05::114"}, []string{`invalid multicast_addr "ff02::114,ff05::114"`, "one of each"}},
		{"multicast_addr space", map[string]string{"multicast_addr": "230.1.1.251, ff02::114"}, []string{`invalid multicast_addr "230.1.1.251, ff02::114"`}},
		{"multicast_addr broadcast", map[string]string{"multicast_addr": "255.255.255.255"}, []string{`invalid multicast_addr "255.255.255.255"`, "set broadcast_only=true"}},
		{"multicast_addr v6 with family ipv4", map[string]string{"multicast_addr": "ff02::114", "family": "ipv4"}, []string{`invalid multicast_addr "ff02::114"`, "family=ipv4 uses no IPv6 group", "family=dual"}},
		{"multicast_addr v4 with family ipv6", map[string]string{"multicast_addr": "230.1.1.251,ff02::114", "family": "ipv6"}, []string{`invalid multicast_addr "230.1.1.251,ff02::114"`, "family=ipv6 uses no IPv4 group"}},
		{"family", map[string]string{"family": "inet6"}, []string{`invalid family "inet6"`, `must be "ipv4", "ipv6" or "dual"`}},
		{"family upper", map[string]string{"family": "IPv6"}, []string{`invalid family "IPv6"`}},
		{"prefer", map[string]string{"prefer": "dual"}, []string{`invalid prefer "dual"`, `must be "ipv4" or "ipv6"`}},
		{"broadcast_only", map[string]string{"broadcast_only": "yes"}, []string{`invalid broadcast_only "yes"`, `"true" or "false"`}},
		{"broadcast_only v6", map[string]string{"broadcast_only": "true", "family": "dual"}, []string{`invalid family "dual"`, "IPv6 has no broadcast"}},
		{"broadcast_only group", map[string]string{"broadcast_only": "true", "multicast_addr": "230.1.1.251"}, []string{`invalid multicast_addr "230.1.1.251"`, `"255.255.255.255" (the limited broadcast address) with broadcast_only=true, or unset`}},
		{"broadcast_only ttl", map[string]string{"broadcast_only": "true", "ttl": "4"}, []string{`invalid ttl "4"`, "does not apply with broadcast_only=true"}},
		{"broadcast_only multicast_ttl", map[string]string{"broadcast_only": "1", "multicast_ttl": "1"}, []string{`invalid multicast_ttl "1"`, "does not apply"}},
		{"multicast_addr with port", map[string]string{"multicast_addr": "230.1.1.251:45892"}, []string{`invalid multicast_addr "230.1.1.251:45892"`}},
		{"multicast_addr text", map[string]string{"multicast_addr": "group"}, []string{`invalid multicast_addr "group"`}},
		{"if_addr multicast", map[string]string{"if_addr": "230.1.1.1"}, []string{`invalid if_addr "230.1.1.1"`, "an address of this host of a family in use", "or 0.0.0.0 for any"}},
		{"if_addr v6 with ipv4", map[string]string{"if_addr": "2001:db8::1"}, []string{`invalid if_addr "2001:db8::1"`, "of a family in use"}},
		{"if_addr v4 with ipv6", map[string]string{"if_addr": "10.0.0.1", "family": "ipv6"}, []string{`invalid if_addr "10.0.0.1"`}},
		{"if_addr v6 link-local", map[string]string{"if_addr": "fe80::1", "family": "ipv6"}, []string{`invalid if_addr "fe80::1"`, "not link-local"}},
		{"if_addr v6 multicast", map[string]string{"if_addr": "ff02::114", "family": "dual"}, []string{`invalid if_addr "ff02::114"`}},
		{"if_addr broadcast", map[string]string{"if_addr": "255.255.255.255"}, []string{`invalid if_addr "255.255.255.255"`}},
		{"if_addr text", map[string]string{"if_addr": "eth0"}, []string{`invalid if_addr "eth0"`}},
		{"ttl negative", map[string]string{"ttl": "-1"}, []string{`invalid ttl "-1"`, "integer from 0 to 255"}},
		{"ttl big", map[string]string{"ttl": "256"}, []string{`invalid ttl "256"`}},
		{"ttl text", map[string]string{"ttl": "one"}, []string{`invalid ttl "one"`}},
		{"multicast_ttl big", map[string]string{"multicast_ttl": "300"}, []string{`invalid multicast_ttl "300"`, "integer from 0 to 255"}},
		{"ttl and multicast_ttl", map[string]string{"ttl": "1", "multicast_ttl": "2"}, []string{`invalid multicast_ttl "2"`, "alias of ttl", "set only one"}},
		{"iface empty", map[string]string{"iface": ""}, []string{`invalid iface ""`, "comma-separated list of interface names"}},
		{"iface trailing comma", map[string]string{"iface": "eth0,"}, []string{`invalid iface "eth0,"`, "without empty entries"}},
		{"iface slash", map[string]string{"iface": "a/b"}, []string{`invalid iface "a/b"`, "not an interface name"}},
		{"iface space", map[string]string{"iface": "eth 0"}, []string{`invalid iface "eth 0"`, "not an interface name"}},
		{"iface long", map[string]string{"iface": "averyveryverylongname"}, []string{`invalid iface "averyveryverylongname"`, "at most 15 characters"}},
		{"iface twice", map[string]string{"iface": "eth0,eth0"}, []string{`invalid iface "eth0,eth0"`, "listed twice"}},
		{"cookie empty", map[string]string{"cookie": ""}, []string{"invalid cookie (value not shown)", "must not be empty"}},
		{"cookie long", map[string]string{"cookie": long}, []string{"invalid cookie (value not shown)", "at most 4096 bytes"}},
		{"cookie and cookie_file", map[string]string{"cookie": "a", "cookie_file": "/x"}, []string{`invalid cookie_file "/x"`, "cookie and cookie_file are both set"}},
		{"cookie_file long line", map[string]string{"cookie_file": longFile}, []string{`invalid cookie_file "` + longFile + `"`, "cookie 2 of the file (value not shown) is 6000 bytes long", "at most 4096 bytes"}},
		{"cookie_file missing", map[string]string{"cookie_file": missing}, []string{`invalid cookie_file "` + missing + `"`, "must be a readable file", "no such file"}},
		{"cookie_file blank", map[string]string{"cookie_file": emptyFile}, []string{`invalid cookie_file "` + emptyFile + `"`, "first non-empty line", "empty or blank"}},
		{"cookie_file many", map[string]string{"cookie_file": manyFile}, []string{`invalid cookie_file "` + manyFile + `"`, "holds 9 cookies", "at most 8"}},
		{"cookie_file big", map[string]string{"cookie_file": bigFile}, []string{`invalid cookie_file "` + bigFile + `"`, "is 71680 bytes long; must be at most 65536 bytes"}},
		{"cookie_file dir", map[string]string{"cookie_file": t.TempDir()}, []string{"invalid cookie_file", "must be a regular file, not a directory"}},
		{"cookie_file device", map[string]string{"cookie_file": os.DevNull}, []string{`invalid cookie_file "` + os.DevNull + `"`, "must be a regular file, not a device"}},
		{"advertise empty", map[string]string{"advertise": ""}, []string{`invalid advertise ""`, `"ip", "ip:port" or ":port"`}},
		{"advertise text", map[string]string{"advertise": "node1"}, []string{`invalid advertise "node1"`}},
		{"advertise unspecified", map[string]string{"advertise": "0.0.0.0"}, []string{`invalid advertise "0.0.0.0"`, "unspecified", `must be "ip", "ip:port" or ":port"`}},
		{"advertise loopback", map[string]string{"advertise": "127.0.0.1"}, []string{`invalid advertise "127.0.0.1"`, "not loopback (each peer would reach itself)"}},
		{"advertise loopback with port", map[string]string{"advertise": "127.1.2.3:8301"}, []string{`invalid advertise "127.1.2.3:8301"`, "not loopback"}},
		{"advertise loopback v6", map[string]string{"advertise": "[::1]:8301"}, []string{`invalid advertise "[::1]:8301"`, "not loopback"}},
		{"advertise unspecified v6", map[string]string{"advertise": "::"}, []string{`invalid advertise "::"`, "unspecified"}},
		{"exclude_local", map[string]string{"exclude_local": "no"}, []string{`invalid exclude_local "no"`, `"true" or "false"`}},
		{"advertise multicast", map[string]string{"advertise": "224.0.0.1"}, []string{`invalid advertise "224.0.0.1"`}},
		{"advertise port zero", map[string]string{"advertise": "10.0.0.1:0"}, []string{`invalid advertise "10.0.0.1:0"`, "port from 1 to 65535"}},
		{"advertise port big", map[string]string{"advertise": "10.0.0.1:70000"}, []string{`invalid advertise "10.0.0.1:70000"`}},
		{"advertise port missing", map[string]string{"advertise": "10.0.0.1:"}, []string{`invalid advertise "10.0.0.1:"`}},
		{"advertise colon", map[string]string{"advertise": ":"}, []string{`invalid advertise ":"`}},
		{"advertise link-local v6", map[string]string{"advertise": "fe80::1"}, []string{`invalid advertise "fe80::1"`, "IPv6 link-local"}},
		{"advertise zone", map[string]string{"advertise": "fe80::1%eth0"}, []string{`invalid advertise "fe80::1%eth0"`}},
		{"advertise v6 brackets no port", map[string]string{"advertise": "[2001:db8::1]"}, []string{`invalid advertise "[2001:db8::1]"`}},
		{"advertise v4 brackets", map[string]string{"advertise": "[10.0.0.1]:80"}, []string{`invalid advertise "[10.0.0.1]:80"`}},
		{"name long", map[string]string{"name": strings.Repeat("n", 65)}, []string{"invalid name", "at most 64 bytes of printable UTF-8"}},
		{"name control", map[string]string{"name": "a\tb"}, []string{`invalid name "a\tb"`, "printable"}},
		{"announce", map[string]string{"announce": "yes"}, []string{`invalid announce "yes"`, `"true" or "false"`}},
		{"interval short", map[string]string{"interval": "10ms"}, []string{`invalid interval "10ms"`, "from 100ms to 1h"}},
		{"interval long", map[string]string{"interval": "2h"}, []string{`invalid interval "2h"`}},
		{"interval no unit", map[string]string{"interval": "5"}, []string{`invalid interval "5"`, `duration such as "5s"`}},
		{"interval negative", map[string]string{"interval": "-1s"}, []string{`invalid interval "-1s"`}},
		{"timeout zero", map[string]string{"timeout": "0s"}, []string{`invalid timeout "0s"`, "from 10ms to 1h"}},
		{"timeout long", map[string]string{"timeout": "90m"}, []string{`invalid timeout "90m"`}},
		{"timeout text", map[string]string{"timeout": "soon"}, []string{`invalid timeout "soon"`}},
		{"stable negative", map[string]string{"stable": "-1ms"}, []string{`invalid stable "-1ms"`, "from 0s to 1h"}},
		{"stable long", map[string]string{"stable": "61m"}, []string{`invalid stable "61m"`}},
		{"expect negative", map[string]string{"expect": "-1"}, []string{`invalid expect "-1"`, "integer from 0 (off) to 100000"}},
		{"expect text", map[string]string{"expect": "all"}, []string{`invalid expect "all"`}},
		{"expect big", map[string]string{"expect": "100001"}, []string{`invalid expect "100001"`}},
		{"unknown key", map[string]string{"prot": "1"}, []string{`unknown key "prot" (did you mean "port"?)`, "accepted keys are advertise, announce, broadcast_only, cookie, cookie_file, exclude_local, expect, family, iface, if_addr, interval, multicast_addr, multicast_ttl, name, port, prefer, provider, stable, timeout, ttl"}},
		{"unknown key near", map[string]string{"famliy": "dual"}, []string{`unknown key "famliy" (did you mean "family"?)`}},
		{"unknown keys", map[string]string{"zzz": "1", "multicast_address": "x", "port": "1"}, []string{`unknown keys "multicast_address" (did you mean "multicast_addr"?), "zzz": accepted keys are`}},
		{"tag of another provider", map[string]string{"provider": "mcgossip", "tag_key": "x"}, []string{`unknown key "tag_key"`}},
		// cookie=horse SECRETbattery=SECRETstaple, as go-discover parses it:
		// the unknown key may be the tail of an unquoted cookie.
		{"unknown key beside a cookie", map[string]string{"cookie": "horse", "SECRETbattery": "SECRETstaple"}, []string{"an unknown key, not shown because it may be part of the cookie", "double-quote a cookie", "accepted keys are advertise"}},
		{"unknown keys beside a cookie", map[string]string{"cookie": "horse", "SECRETa": "1", "SECRETb": "2"}, []string{"2 unknown keys, not shown"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := mcgossip.ParseConfig(tc.args)
			if err == nil {
				t.Fatalf("ParseConfig(%q) = %+v, want an error", tc.args, cfg)
			}
			var ce *mcgossip.ConfigError
			if !errors.As(err, &ce) {
				t.Errorf("error %q (%T) is not a *mcgossip.ConfigError", err, err)
			}
			var marked interface{ InvalidParameter() }
			if !errors.As(err, &marked) {
				t.Errorf("error %q is not marked InvalidParameter", err)
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, "discover-mcgossip: ") {
				t.Errorf("error %q lacks the discover-mcgossip: prefix", msg)
			}
			for _, w := range tc.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q does not contain %q", msg, w)
				}
			}
			if strings.Contains(msg, "SECRET") {
				t.Errorf("error %q shows the cookie", msg)
			}
		})
	}
}

func TestParseConfig(t *testing.T) {
	t.Setenv(mcgossip.CookieEnv, "")
	rot := writeFile(t, "\n  new-cookie-0123456789  \r\nold-cookie-0123456789\n\nolder-cookie-0123456789\nnew-cookie-0123456789\n")
	def := mcgossip.DefaultConfig()
	with := func(f func(c *mcgossip.Config)) *mcgossip.Config {
		c := mcgossip.DefaultConfig()
		f(c)
		return c
	}
	cases := []struct {
		name string
		args map[string]string
		want *mcgossip.Config
	}{
		{"nil", nil, def},
		{"provider only", map[string]string{"provider": "mcgossip"}, def},
		{"everything", map[string]string{
			"provider": "mcgossip", "port": "4000", "multicast_addr": "239.1.2.3", "if_addr": "10.1.2.3",
			"ttl": "0", "iface": "eth0,eth1", "cookie": "c0ffee-c0ffee-c0ffee", "advertise": "10.1.2.3:8301",
			"name": "node 1", "announce": "false", "interval": "2s", "timeout": "750ms", "stable": "0s", "expect": "3",
		}, with(func(c *mcgossip.Config) {
			c.Port = 4000
			c.MulticastAddr = netip.MustParseAddr("239.1.2.3")
			c.IfAddr = netip.MustParseAddr("10.1.2.3")
			c.TTL = 0
			c.Interfaces = []string{"eth0", "eth1"}
			c.Cookie = "c0ffee-c0ffee-c0ffee"
			c.Advertise = netip.MustParseAddr("10.1.2.3")
			c.AdvertisePort = 8301
			c.Name = "node 1"
			c.Announce = false
			c.Interval = 2 * time.Second
			c.Timeout = 750 * time.Millisecond
			c.Stable = 0
			c.Expect = 3
		})},
		{"multicast_ttl alias", map[string]string{"multicast_ttl": "4"}, with(func(c *mcgossip.Config) { c.TTL = 4 })},
		{"advertise ip", map[string]string{"advertise": "192.0.2.7"}, with(func(c *mcgossip.Config) { c.Advertise = netip.MustParseAddr("192.0.2.7") })},
		{"advertise port only", map[string]string{"advertise": ":8301"}, with(func(c *mcgossip.Config) { c.AdvertisePort = 8301 })},
		{"advertise v6", map[string]string{"advertise": "[2001:db8::1]:80"}, with(func(c *mcgossip.Config) {
			c.Advertise, c.AdvertisePort = netip.MustParseAddr("2001:db8::1"), 80
		})},
		{"advertise v6 bare", map[string]string{"advertise": "2001:db8::1"}, with(func(c *mcgossip.Config) { c.Advertise = netip.MustParseAddr("2001:db8::1") })},
		{"advertise mapped", map[string]string{"advertise": "::ffff:10.0.0.1"}, with(func(c *mcgossip.Config) { c.Advertise = netip.MustParseAddr("10.0.0.1") })},
		{"cookie_file rotation", map[string]string{"cookie_file": rot}, with(func(c *mcgossip.Config) {
			c.Cookie = "new-cookie-0123456789"
			c.OldCookies = []string{"old-cookie-0123456789", "older-cookie-0123456789"}
			c.CookieFile = rot
		})},
		{"name empty", map[string]string{"name": ""}, with(func(c *mcgossip.Config) { c.Name = "" })},
		{"exclude_local false", map[string]string{"exclude_local": "false"}, with(func(c *mcgossip.Config) { c.ExcludeLocal = false })},
		{"ipv6 group", map[string]string{"multicast_addr": "ff05::114"}, with(func(c *mcgossip.Config) {
			c.MulticastAddr6, c.Family = netip.MustParseAddr("ff05::114"), mcgossip.FamilyIPv6
		})},
		{"family ipv6", map[string]string{"family": "ipv6"}, with(func(c *mcgossip.Config) { c.Family = mcgossip.FamilyIPv6 })},
		{"both groups", map[string]string{"multicast_addr": "ff12::114,239.1.2.3"}, with(func(c *mcgossip.Config) {
			c.MulticastAddr, c.MulticastAddr6, c.Family = netip.MustParseAddr("239.1.2.3"), netip.MustParseAddr("ff12::114"), mcgossip.FamilyDual
		})},
		{"dual with one group", map[string]string{"family": "dual", "multicast_addr": "239.1.2.3", "prefer": "ipv6"}, with(func(c *mcgossip.Config) {
			c.MulticastAddr, c.Family, c.Prefer = netip.MustParseAddr("239.1.2.3"), mcgossip.FamilyDual, mcgossip.FamilyIPv6
		})},
		{"if_addr v6", map[string]string{"family": "dual", "if_addr": "fd00::1"}, with(func(c *mcgossip.Config) {
			c.Family, c.IfAddr = mcgossip.FamilyDual, netip.MustParseAddr("fd00::1")
		})},
		{"if_addr ::", map[string]string{"family": "ipv6", "if_addr": "::"}, with(func(c *mcgossip.Config) {
			c.Family, c.IfAddr = mcgossip.FamilyIPv6, netip.IPv6Unspecified()
		})},
		{"broadcast_only", map[string]string{"broadcast_only": "true"}, with(func(c *mcgossip.Config) { c.BroadcastOnly = true })},
		{"broadcast_only limited", map[string]string{"broadcast_only": "true", "multicast_addr": "255.255.255.255", "family": "ipv4"}, with(func(c *mcgossip.Config) {
			c.BroadcastOnly, c.MulticastAddr = true, netip.MustParseAddr("255.255.255.255")
		})},
		{"broadcast_only false", map[string]string{"broadcast_only": "false", "ttl": "2"}, with(func(c *mcgossip.Config) { c.TTL = 2 })},
		{"announce 0", map[string]string{"announce": "0"}, with(func(c *mcgossip.Config) { c.Announce = false })},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := mcgossip.ParseConfig(tc.args)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("ParseConfig(%q)\n got %+v\nwant %+v", tc.args, got, tc.want)
			}
		})
	}
}

func TestParseConfigCookieEnv(t *testing.T) {
	t.Setenv(mcgossip.CookieEnv, "from-the-environment")
	cases := []struct {
		name string
		args map[string]string
		want string
	}{
		{"env", nil, "from-the-environment"},
		{"cookie wins", map[string]string{"cookie": "from-args"}, "from-args"},
		{"cookie_file wins", map[string]string{"cookie_file": writeFile(t, "from-file\n")}, "from-file"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := mcgossip.ParseConfig(tc.args)
			if err != nil {
				t.Fatal(err)
			}
			if c.Cookie != tc.want {
				t.Errorf("cookie %q, want %q", c.Cookie, tc.want)
			}
		})
	}
}

func TestDefaultConfig(t *testing.T) {
	c := mcgossip.DefaultConfig()
	want := map[string]any{
		"Port": 45892, "MulticastAddr": "230.1.1.251", "MulticastAddr6": "ff02::114", "Family": "ipv4", "Prefer": "ipv4",
		"BroadcastOnly": false, "IfAddr": "0.0.0.0", "TTL": 1, "Announce": true,
		"Interval": 5 * time.Second, "Timeout": 5 * time.Second, "Stable": time.Duration(0),
		"Expect": 0, "AnswerJitter": 2 * time.Millisecond, "Cookie": "",
	}
	got := map[string]any{
		"Port": c.Port, "MulticastAddr": c.MulticastAddr.String(), "MulticastAddr6": c.MulticastAddr6.String(),
		"Family": c.Family.String(), "Prefer": c.Prefer.String(), "BroadcastOnly": c.BroadcastOnly,
		"IfAddr": c.IfAddr.String(), "TTL": c.TTL,
		"Announce": c.Announce, "Interval": c.Interval, "Timeout": c.Timeout, "Stable": c.Stable,
		"Expect": c.Expect, "AnswerJitter": c.AnswerJitter, "Cookie": c.Cookie,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("defaults\n got %v\nwant %v", got, want)
	}
	if c.Interfaces != nil || c.Advertise.IsValid() || c.AdvertisePort != 0 {
		t.Errorf("defaults set optional fields: %+v", c)
	}
	if !c.ExcludeLocal {
		t.Error("ExcludeLocal defaults to false, want true")
	}
	if h, err := os.Hostname(); err == nil && len(h) <= wire.MaxNameLen && wire.CheckName(h) == nil && c.Name != h {
		t.Errorf("Name defaults to %q, want the host name %q", c.Name, h)
	}
}

func TestConfigString(t *testing.T) {
	t.Setenv(mcgossip.CookieEnv, "")
	cases := []struct {
		args map[string]string
		want string
	}{
		{nil, "provider=mcgossip"},
		{map[string]string{"cookie": "secret-secret-secret", "port": "1234", "advertise": ":8301", "announce": "false"},
			"provider=mcgossip port=1234 cookie=<hidden> advertise=:8301 announce=false"},
		{map[string]string{"name": "a b", "advertise": "[2001:db8::1]:80", "ttl": "3", "expect": "2"},
			`provider=mcgossip ttl=3 advertise=[2001:db8::1]:80 name="a b" expect=2`},
		{map[string]string{"family": "dual"}, "provider=mcgossip family=dual"},
		{map[string]string{"multicast_addr": "ff05::114", "prefer": "ipv6"}, "provider=mcgossip multicast_addr=ff05::114 family=ipv6 prefer=ipv6"},
		{map[string]string{"multicast_addr": "239.1.1.1,ff02::114"}, "provider=mcgossip multicast_addr=239.1.1.1,ff02::114 family=dual"},
		{map[string]string{"broadcast_only": "true"}, "provider=mcgossip broadcast_only=true"},
		{map[string]string{"broadcast_only": "true", "multicast_addr": "255.255.255.255"}, "provider=mcgossip multicast_addr=255.255.255.255 broadcast_only=true"},
		{map[string]string{"name": "", "exclude_local": "false"}, `provider=mcgossip name="" exclude_local=false`},
	}
	for _, tc := range cases {
		c, err := mcgossip.ParseConfig(tc.args)
		if err != nil {
			t.Fatal(err)
		}
		if got := c.String(); got != tc.want {
			t.Errorf("String() = %q, want %q", got, tc.want)
		}
		if strings.Contains(c.String(), "secret") {
			t.Errorf("String() shows the cookie: %q", c.String())
		}
		if c.Cookie == "" && !strings.Contains(tc.want, `"`) {
			// It parses back to the same configuration.
			back, err := mcgossip.ParseConfig(parseString(tc.want))
			if err != nil || !reflect.DeepEqual(back, c) {
				t.Errorf("String() %q parses back to %v, %v", tc.want, back, err)
			}
		}
	}
}

// parseString splits go-discover arguments without quotes.
func parseString(s string) map[string]string {
	m := map[string]string{}
	for _, f := range strings.Fields(s) {
		k, v, _ := strings.Cut(f, "=")
		m[k] = v
	}
	return m
}

func TestConfigGroups(t *testing.T) {
	for args, want := range map[string]string{
		"":                                 "230.1.1.251:45892",
		"family=ipv6 port=4000":            "[ff02::114]:4000",
		"multicast_addr=239.1.1.1,ff05::1": "239.1.1.1:45892 and [ff05::1]:45892",
		"broadcast_only=true":              "broadcast to port 45892",
		"broadcast_only=true multicast_addr=255.255.255.255": "broadcast to 255.255.255.255:45892",
	} {
		c, err := mcgossip.ParseConfig(parseString(args))
		if err != nil {
			t.Fatal(err)
		}
		if got := c.Groups(); got != want {
			t.Errorf("%q: Groups() = %q, want %q", args, got, want)
		}
	}
}

func TestParseConfigCookieEnvInvalid(t *testing.T) {
	t.Setenv(mcgossip.CookieEnv, strings.Repeat("SECRET", 1000))
	_, err := mcgossip.ParseConfig(nil)
	var ce *mcgossip.ConfigError
	if !errors.As(err, &ce) || !strings.Contains(err.Error(), "discover-mcgossip: invalid MCGOSSIP_COOKIE (value not shown): is 6000 bytes long") ||
		strings.Contains(err.Error(), "SECRET") {
		t.Errorf("error %v, want a *ConfigError naming MCGOSSIP_COOKIE without its value", err)
	}
}

// TestNewEngineConfigErrors: NewEngine checks a hand-built Config as
// ParseConfig checks arguments, with the same errors.
func TestNewEngineConfigErrors(t *testing.T) {
	cases := []struct {
		name string
		mod  func(c *mcgossip.Config)
		want string
	}{
		{"port", func(c *mcgossip.Config) { c.Port = 0 }, `invalid port "0": must be an integer from 1 to 65535`},
		{"group", func(c *mcgossip.Config) { c.MulticastAddr = netip.MustParseAddr("10.0.0.1") }, `invalid multicast_addr "10.0.0.1"`},
		{"zero group", func(c *mcgossip.Config) { c.MulticastAddr = netip.Addr{} }, `invalid multicast_addr "invalid IP"`},
		{"zero if_addr", func(c *mcgossip.Config) { c.IfAddr = netip.Addr{} }, `invalid if_addr "invalid IP"`},
		{"v6 if_addr", func(c *mcgossip.Config) { c.IfAddr = netip.MustParseAddr("fd00::1") }, `invalid if_addr "fd00::1"`},
		{"v6 group", func(c *mcgossip.Config) {
			c.Family, c.MulticastAddr6 = mcgossip.FamilyIPv6, netip.MustParseAddr("fd00::1")
		}, `invalid multicast_addr "fd00::1"`},
		{"v4 group of dual", func(c *mcgossip.Config) { c.Family, c.MulticastAddr = mcgossip.FamilyDual, netip.Addr{} }, `invalid multicast_addr "invalid IP"`},
		{"family", func(c *mcgossip.Config) { c.Family = 0 }, `invalid family "family(0)": must be "ipv4", "ipv6" or "dual"`},
		{"prefer", func(c *mcgossip.Config) { c.Prefer = mcgossip.FamilyDual }, `invalid prefer "dual"`},
		{"broadcast v6", func(c *mcgossip.Config) { c.BroadcastOnly, c.Family = true, mcgossip.FamilyIPv6 }, `invalid family "ipv6": must be "ipv4" with broadcast_only=true`},
		{"ttl", func(c *mcgossip.Config) { c.TTL = 300 }, `invalid ttl "300"`},
		{"iface", func(c *mcgossip.Config) { c.Interfaces = []string{"eth0", ""} }, `invalid iface "eth0,"`},
		{"advertise", func(c *mcgossip.Config) { c.Advertise = netip.MustParseAddr("224.0.0.1") }, `invalid advertise "224.0.0.1"`},
		{"name", func(c *mcgossip.Config) { c.Name = "a\tb" }, `invalid name "a\tb"`},
		{"interval", func(c *mcgossip.Config) { c.Interval = time.Millisecond }, `invalid interval "1ms": must be a duration such as "5s" or "250ms", from 100ms to 1h`},
		{"timeout", func(c *mcgossip.Config) { c.Timeout = 0 }, `invalid timeout "0s"`},
		{"stable", func(c *mcgossip.Config) { c.Stable = -time.Second }, `invalid stable "-1s"`},
		{"expect", func(c *mcgossip.Config) { c.Expect = -1 }, `invalid expect "-1"`},
		{"answer jitter", func(c *mcgossip.Config) { c.AnswerJitter = -time.Second }, `invalid answer jitter -1s`},
		{"cookie", func(c *mcgossip.Config) { c.Cookie = strings.Repeat("SECRET", 1000) }, "invalid cookie (value not shown): is 6000 bytes long"},
		{"older cookie", func(c *mcgossip.Config) { c.OldCookies = []string{""} }, "invalid older cookie (value not shown): must not be empty"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := memConfig(true)
			tc.mod(c)
			e, err := mcgossip.NewMemEngine(mcgossip.NewMemNet(), c, nil)
			if err == nil {
				e.Close()
				t.Fatal("no error")
			}
			var ce *mcgossip.ConfigError
			if !errors.As(err, &ce) || !strings.HasPrefix(err.Error(), "discover-mcgossip: "+tc.want) || strings.Contains(err.Error(), "SECRET") {
				t.Errorf("error %q (%T), want a *ConfigError starting with %q", err, err, "discover-mcgossip: "+tc.want)
			}
		})
	}
	if _, err := mcgossip.NewEngine(nil, nil); err == nil || !strings.HasPrefix(err.Error(), "discover-mcgossip: invalid config") {
		t.Errorf("NewEngine(nil): %v", err)
	}
}
