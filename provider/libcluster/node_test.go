package libcluster

import (
	"net/netip"
	"testing"
)

// TestParseNode checks the node names accepted, and their parts.
func TestParseNode(t *testing.T) {
	good := []struct{ node, name, host, addr string }{
		{"a@10.0.0.5", "a", "10.0.0.5", "10.0.0.5"},
		{"my_app-1.blue@host.example", "my_app-1.blue", "host.example", ""},
		{"app@fd00::1", "app", "fd00::1", "fd00::1"},
		{"app@::ffff:10.0.0.5", "app", "::ffff:10.0.0.5", "10.0.0.5"},
		{"n@localhost", "n", "localhost", ""},
	}
	for _, g := range good {
		n, err := ParseNode(g.node)
		if err != nil {
			t.Errorf("ParseNode(%q): %v", g.node, err)
			continue
		}
		if n.Name() != g.name || n.Host() != g.host {
			t.Errorf("%q: name %q host %q", g.node, n.Name(), n.Host())
		}
		if got := n.Addr(); (g.addr == "" && got.IsValid()) || (g.addr != "" && got != netip.MustParseAddr(g.addr)) {
			t.Errorf("%q: Addr %v, want %q", g.node, got, g.addr)
		}
	}
	for _, bad := range []string{"", "a@", "@b", "ab", "a@b@c", "nonode@nohost", "a b@c", "a:1@c", "a@c/d", "a@c%lo", "é@c"} {
		if _, err := ParseNode(bad); ReasonOf(err) != ReasonName {
			t.Errorf("ParseNode(%q) = %v, want a name error", bad, err)
		}
	}
}

// TestDialAddr checks that a node is only ever checked at its heartbeat's
// source address.
func TestDialAddr(t *testing.T) {
	src := netip.MustParseAddr("10.0.0.5")
	cases := []struct {
		node Node
		src  netip.Addr
		ok   bool
	}{
		{"a@10.0.0.5", src, true},
		{"a@10.0.0.5", netip.MustParseAddr("::ffff:10.0.0.5"), true},
		{"a@::ffff:10.0.0.5", src, true},
		{"a@host.example", src, true},
		{"a@10.0.0.6", src, false},
		{"a@fd00::1", src, false},
		{"a@10.0.0.5", netip.Addr{}, false},
		{"a@host", netip.IPv4Unspecified(), false},
		{"a@host", netip.MustParseAddr("230.1.1.251"), false},
	}
	for _, tc := range cases {
		got, err := tc.node.DialAddr(tc.src)
		switch {
		case tc.ok && (err != nil || got != src):
			t.Errorf("%s from %v: %v, %v; want %v", tc.node, tc.src, got, err, src)
		case !tc.ok && (ReasonOf(err) != ReasonSource || got.IsValid()):
			t.Errorf("%s from %v: %v, %v; want a source error", tc.node, tc.src, got, err)
		}
	}
}
