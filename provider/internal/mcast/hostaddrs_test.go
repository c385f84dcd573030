package mcast

import (
	"net/netip"
	"slices"
	"testing"
)

// TestHostAddrs: HostAddrs lists the addresses of the namespace the
// Transport was opened in, whichever thread calls it.
func TestHostAddrs(t *testing.T) {
	extra := netip.MustParseAddr("192.0.2.9")
	var tr *Transport
	err := inNewNetns([][]string{{"link", "set", "lo", "up"}, {"addr", "add", extra.String() + "/32", "dev", "lo"}}, func() error {
		var err error
		tr, err = Open(Settings{Group: testGroup, Port: 45992, IfAddr: netip.IPv4Unspecified(), Interfaces: []string{"lo"}})
		return err
	})
	if err != nil {
		t.Fatalf("setting up a second namespace: %v", err)
	}
	defer tr.Close()
	here, err := hostAddrs()
	if err != nil || slices.Contains(here, extra) {
		t.Fatalf("the test's namespace has %v (%v): the test proves nothing", here, err)
	}
	got, err := tr.HostAddrs()
	if err != nil || !slices.Contains(got, extra) || !slices.Contains(got, loopback) {
		t.Fatalf("HostAddrs() = %v, %v; want %v and %v, the addresses of the transport's namespace", got, err, extra, loopback)
	}
}
