package mcgossip

import (
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestGroupWarnings: the control block, the groups and ports of other
// protocols and the SSM block are warned about, each naming the setting and
// suggesting the default; the defaults and ordinary groups are not.
func TestGroupWarnings(t *testing.T) {
	for _, tc := range []struct {
		group string
		port  int
		want  []string // one substring per warning, in order
	}{
		{"230.1.1.251", DefaultPort, nil},
		{"239.1.2.3", 4000, nil},
		{"224.0.0.251", 5353, []string{"multicast_addr 224.0.0.251 is the group of mDNS", "multicast_addr 224.0.0.251 is in 224.0.0.0/24, the local network control block", "port 5353 is the port of mDNS"}},
		{"224.0.0.99", DefaultPort, []string{"224.0.0.0/24"}},
		{"224.0.0.252", DefaultPort, []string{"group of LLMNR", "224.0.0.0/24"}},
		{"239.255.255.250", 1900, []string{"group of SSDP (UPnP) and WS-Discovery", "port 1900 is the port of SSDP"}},
		{"230.1.1.251", 5355, []string{"port 5355 is the port of LLMNR"}},
		{"232.1.2.3", DefaultPort, []string{"232.0.0.0/8, reserved for source-specific multicast"}},
		{"224.0.1.1", 123, []string{"group of NTP", "port 123 is the port of NTP"}},
		{"ff02::114", DefaultPort, nil},
		{"ff02::fb", 5353, []string{"multicast_addr ff02::fb is the group of mDNS", "port 5353 is the port of mDNS"}},
		{"ff02::1", DefaultPort, []string{"group of all IPv6 nodes"}},
	} {
		got := groupWarnings(netip.MustParseAddr(tc.group), tc.port)
		if len(got) != len(tc.want) {
			t.Errorf("%s:%d: %d warnings %q, want %d", tc.group, tc.port, len(got), got, len(tc.want))
			continue
		}
		for i, w := range tc.want {
			if !strings.Contains(got[i], w) || !strings.Contains(got[i], "choose a") {
				t.Errorf("%s:%d: warning %q, want it to contain %q and advice", tc.group, tc.port, got[i], w)
			}
		}
	}
}

// TestCookieFileWarning: a cookie_file open to its group or others is
// warned about, with its path and mode and never its content; owner-only
// modes (0600, and 0400 as systemd's credentials have) are not.
func TestCookieFileWarning(t *testing.T) {
	const cookie = "Zq3xV9mT2kLp8Rw4Yc7N-secret"
	for _, tc := range []struct {
		mode os.FileMode
		warn bool
	}{{0o600, false}, {0o400, false}, {0o644, true}, {0o640, true}, {0o604, true}, {0o620, true}} {
		path := filepath.Join(t.TempDir(), "cookie")
		if err := os.WriteFile(path, []byte(cookie+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(path, tc.mode); err != nil {
			t.Fatal(err)
		}
		cfg := DefaultConfig()
		cfg.Cookie, cfg.CookieFile = cookie, path
		var got string
		for _, w := range configWarnings(cfg) {
			if strings.Contains(w, "cookie_file") {
				got = w
			}
			if strings.Contains(w, cookie) {
				t.Errorf("warning %q shows the cookie", w)
			}
		}
		if (got != "") != tc.warn {
			t.Errorf("mode %04o: warning %q, want one: %v", tc.mode, got, tc.warn)
		}
		if tc.warn && (!strings.Contains(got, path) || !strings.Contains(got, fmt.Sprintf("(mode %04o)", tc.mode)) || !strings.Contains(got, "chmod 600")) {
			t.Errorf("mode %04o: warning %q lacks the path, the mode or the advice", tc.mode, got)
		}
	}
}

// TestNodeName: a host name becomes the default node name, cut to what the
// wire accepts at a character boundary, or none when it is not printable.
func TestNodeName(t *testing.T) {
	long := strings.Repeat("a", 63) + "é" + "bc" // é straddles byte 64
	for in, want := range map[string]string{
		"web-1":                 "web-1",
		"":                      "",
		strings.Repeat("x", 64): strings.Repeat("x", 64),
		strings.Repeat("x", 70): strings.Repeat("x", 64),
		long:                    strings.Repeat("a", 63),
		"bad\x01name":           "",
		"host.example.com":      "host.example.com",
	} {
		if got := nodeName(in); got != want {
			t.Errorf("nodeName(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestSenders: the record keeps the most recent sender of each kind, at
// most maxSenders, each once, and tells those after a drop count.
func TestSenders(t *testing.T) {
	var s senders
	addr := func(i int) netip.Addr { return netip.AddrFrom4([4]byte{198, 18, 0, byte(i)}) }
	for i := 1; i <= 12; i++ { // senders 1..12, seq 1..12
		s.note(dropUnknownKey, addr(i), uint64(i))
	}
	s.note(dropUnknownKey, netip.AddrFrom16(addr(5).As16()), 13) // mapped: the same sender, again
	s.note(dropReplay, addr(99), 14)                             // not recorded
	got := s.since(dropUnknownKey, 0)
	want := []netip.Addr{addr(5), addr(12), addr(11), addr(10), addr(9), addr(8), addr(7), addr(6)}
	if len(got) != maxSenders || !slices.Equal(got, want) {
		t.Errorf("since(0) = %v, want %v", got, want)
	}
	if got := s.since(dropUnknownKey, 11); !slices.Equal(got, want[:2]) {
		t.Errorf("since(11) = %v, want %v", got, want[:2])
	}
	if got := s.since(dropStale, 0); len(got) != 0 {
		t.Errorf("stale senders %v, want none", got)
	}
	if n := testing.AllocsPerRun(100, func() { s.note(dropUnknownKey, addr(3), 20) }); n != 0 {
		t.Errorf("note allocates %v times", n)
	}
}
