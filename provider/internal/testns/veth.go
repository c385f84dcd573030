package testns

import (
	"net"
	"net/netip"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// Veth creates the veth pair name0/name1 in the test's namespace, both
// ends up, with DAD off on name0 (so its link-local address is there at
// once) and the addresses addrs ("10.76.0.1/24", "fd00:76::1/64") on
// name0, waits until name0 carries traffic, and deletes the pair when the
// test ends. It returns name0. Both ends are in the namespace: nothing
// sent on them, multicast or broadcast, can leave it. Linux loops IPv6
// multicast back on any interface but lo, so tests of IPv6 groups need
// one.
func Veth(tb testing.TB, name string, addrs ...string) *net.Interface {
	tb.Helper()
	IP(tb, "link", "add", name+"0", "type", "veth", "peer", "name", name+"1")
	tb.Cleanup(func() { exec.Command("ip", "link", "del", name+"0").Run() })
	Sysctl(tb, "net/ipv6/conf/"+name+"0/accept_dad", "0")
	for _, a := range addrs {
		args := []string{"addr", "add", a, "dev", name + "0"}
		if netip.MustParsePrefix(a).Addr().Is6() {
			args = append(args, "nodad")
		}
		IP(tb, args...)
	}
	IP(tb, "link", "set", name+"0", "up")
	IP(tb, "link", "set", name+"1", "up")
	return WaitRunning(tb, name+"0")
}

// WaitRunning waits for the carrier of an interface that was just set up,
// which comes asynchronously (until then IPv6 has no route on it), and
// returns the interface.
func WaitRunning(tb testing.TB, name string) *net.Interface {
	tb.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		ifi, err := net.InterfaceByName(name)
		if err != nil {
			tb.Fatal(err)
		}
		if ifi.Flags&net.FlagRunning != 0 {
			return ifi
		}
		if time.Now().After(deadline) {
			tb.Fatalf("%s is not running after 5s", name)
		}
		time.Sleep(time.Millisecond) // polling kernel state, bounded by the deadline
	}
}

// IP runs ip(8) with args in the test's namespace.
func IP(tb testing.TB, args ...string) {
	tb.Helper()
	if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
		tb.Fatalf("ip %s: %v: %s", strings.Join(args, " "), err, out)
	}
}

// Sysctl sets a sysctl of the test's namespace, by its path under
// /proc/sys/.
func Sysctl(tb testing.TB, key, value string) {
	tb.Helper()
	if err := os.WriteFile("/proc/sys/"+key, []byte(value), 0o644); err != nil {
		tb.Fatal(err)
	}
}
