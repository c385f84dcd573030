package lab_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mcgossip/go-discover-mcgossip/internal/lab"
	"github.com/mcgossip/go-discover-mcgossip/internal/netns"
	"golang.org/x/net/ipv4"
	"golang.org/x/sys/unix"
)

// The test process itself runs in a private namespace: nothing it opens
// outside a lab host touches the machine's network.
func TestMain(m *testing.M) {
	if os.Getenv(signalHelperEnv) == "1" {
		signalHelper()
		return
	}
	netns.Main(m)
}

// signalHelperEnv makes the test binary act as a Start user for
// TestSignalClosesLabs.
const signalHelperEnv = "LAB_TEST_SIGNAL_HELPER"

// signalHelper builds a lab with Start, prints its prefix and waits for
// standard input to close (then closes the lab) or for a signal.
func signalHelper() {
	l, err := lab.Start(2)
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
	fmt.Println(l.Prefix())
	_, _ = io.Copy(io.Discard, os.Stdin)
	_ = l.Close()
}

// group is the multicast group the tests use (administratively scoped).
var group = netip.MustParseAddr("239.255.42.99")

// newLab builds a lab for t and checks, after the lab's cleanup has run,
// that none of its namespaces is left.
func newLab(t *testing.T, n int, opts ...lab.Option) *lab.Lab {
	t.Helper()
	var l *lab.Lab
	// Registered before New's cleanup, so it runs after it.
	t.Cleanup(func() {
		if l != nil {
			if left := namespaces(t, l.Prefix()+"-"); len(left) > 0 {
				t.Errorf("namespaces left after the test: %v", left)
			}
		}
	})
	l = lab.New(t, n, opts...)
	return l
}

// namespaces lists the named namespaces whose names start with prefix.
func namespaces(t *testing.T, prefix string) []string {
	t.Helper()
	entries, err := os.ReadDir("/run/netns")
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), prefix) {
			out = append(out, e.Name())
		}
	}
	return out
}

// member is a socket in a host that joined group on eth0.
type member struct {
	c *net.UDPConn
	p *ipv4.PacketConn
}

// join opens a socket in h bound to the wildcard address and port, joins
// group on eth0 and asks for destination addresses.
func join(t *testing.T, h *lab.Host, port int) *member {
	t.Helper()
	c, err := h.ListenPacket("udp4", "0.0.0.0:"+strconv.Itoa(port))
	if err != nil {
		t.Fatalf("listen in %s: %v", h, err)
	}
	t.Cleanup(func() { c.Close() })
	ifi, err := h.Interface()
	if err != nil {
		t.Fatal(err)
	}
	p := ipv4.NewPacketConn(c)
	if err := p.JoinGroup(ifi, &net.UDPAddr{IP: group.AsSlice()}); err != nil {
		t.Fatalf("join %s in %s: %v", group, h, err)
	}
	if err := p.SetControlMessage(ipv4.FlagDst, true); err != nil {
		t.Fatal(err)
	}
	// A roomy receive buffer (root may exceed rmem_max), so a burst of
	// datagrams is never lost to the socket: only the rules under test
	// drop anything.
	uc := c.(*net.UDPConn)
	rc, err := uc.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var serr error
	if err := rc.Control(func(fd uintptr) {
		serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, 8<<20)
	}); err != nil || serr != nil {
		t.Fatalf("SO_RCVBUFFORCE: %v %v", err, serr)
	}
	return &member{c: uc, p: p}
}

// sender opens a socket in h, bound to its address, that sends to group
// out of eth0.
func sender(t *testing.T, h *lab.Host) *ipv4.PacketConn {
	t.Helper()
	c, err := h.ListenPacket("udp4", net.JoinHostPort(h.Addr.String(), "0"))
	if err != nil {
		t.Fatalf("listen in %s: %v", h, err)
	}
	t.Cleanup(func() { c.Close() })
	ifi, err := h.Interface()
	if err != nil {
		t.Fatal(err)
	}
	p := ipv4.NewPacketConn(c)
	if err := p.SetMulticastInterface(ifi); err != nil {
		t.Fatal(err)
	}
	return p
}

func send(t *testing.T, p *ipv4.PacketConn, port int, payload string) {
	t.Helper()
	dst := &net.UDPAddr{IP: group.AsSlice(), Port: port}
	if _, err := p.WriteTo([]byte(payload), nil, dst); err != nil {
		t.Fatalf("send %q: %v", payload, err)
	}
}

// datagram is one received datagram.
type datagram struct {
	payload string
	src     netip.Addr
	dst     netip.Addr
}

// receive reads one datagram, or returns an error at the deadline.
func (m *member) receive(deadline time.Time) (datagram, error) {
	if err := m.c.SetReadDeadline(deadline); err != nil {
		return datagram{}, err
	}
	buf := make([]byte, 1500)
	n, cm, src, err := m.p.ReadFrom(buf)
	if err != nil {
		return datagram{}, err
	}
	d := datagram{payload: string(buf[:n])}
	if ua, ok := src.(*net.UDPAddr); ok {
		d.src, _ = netip.AddrFromSlice(ua.IP.To4())
	}
	if cm != nil {
		d.dst, _ = netip.AddrFromSlice(cm.Dst.To4())
	}
	return d, nil
}

func TestHosts(t *testing.T) {
	l := newLab(t, 3)
	hosts := l.Hosts()
	if len(hosts) != 3 {
		t.Fatalf("Hosts() has %d hosts, want 3", len(hosts))
	}
	wantPrefix := fmt.Sprintf("mcg%d-", os.Getpid())
	if !strings.HasPrefix(l.Prefix(), wantPrefix) {
		t.Errorf("Prefix() = %q, want it to start with %q", l.Prefix(), wantPrefix)
	}
	for i, h := range hosts {
		want := netip.AddrFrom4([4]byte{198, 18, 0, byte(i + 1)})
		if h.Addr != want || h.Index != i+1 || h != l.Host(i+1) || !lab.Subnet.Contains(h.Addr) {
			t.Errorf("host %d: Addr %v Index %d, want %v and %d", i+1, h.Addr, h.Index, want, i+1)
		}
		if h.Name != l.Prefix()+"-h"+strconv.Itoa(i+1) {
			t.Errorf("host %d: Name %q", i+1, h.Name)
		}
		out, err := h.Command(context.Background(), "ip", "-4", "-o", "addr", "show", "dev", "eth0").CombinedOutput()
		if err != nil {
			t.Fatalf("ip addr in %s: %v: %s", h, err, out)
		}
		if !strings.Contains(string(out), h.Addr.String()+"/15") {
			t.Errorf("%s: eth0 has %q, want %v/15", h, out, h.Addr)
		}
		out, err = h.Command(context.Background(), "ip", "route", "show", "224.0.0.0/4").CombinedOutput()
		if err != nil || !strings.Contains(string(out), "dev eth0") {
			t.Errorf("%s: no multicast route on eth0: %v %q", h, err, out)
		}
		ifi, err := h.Interface()
		if err != nil {
			t.Fatal(err)
		}
		if ifi.Flags&net.FlagMulticast == 0 || ifi.Flags&net.FlagUp == 0 {
			t.Errorf("%s: eth0 flags %v, want up and multicast", h, ifi.Flags)
		}
	}
	if l.Host(0) != nil || l.Host(4) != nil {
		t.Error("Host out of range is not nil")
	}
	if l.HostFor(0) != hosts[0] || l.HostFor(4) != hosts[1] || l.HostFor(5) != hosts[2] {
		t.Error("HostFor does not place round robin")
	}
	if got := l.Addrs(); len(got) != 3 || got[2] != hosts[2].Addr {
		t.Errorf("Addrs() = %v", got)
	}
}

// TestDoIsolated shows that Do runs in the host and leaves the caller's
// thread alone: the host has eth0, the test's own namespace does not.
func TestDoIsolated(t *testing.T) {
	l := newLab(t, 1)
	if _, err := l.Host(1).Interface(); err != nil {
		t.Fatalf("eth0 in the host: %v", err)
	}
	if _, err := net.InterfaceByName("eth0"); err == nil {
		t.Fatal("the test's own namespace has eth0 after Do: Do leaked its namespace")
	}
	sentinel := errors.New("sentinel")
	if err := l.Host(1).Do(func() error { return sentinel }); err != sentinel {
		t.Fatalf("Do returned %v, want fn's error", err)
	}
}

func TestMulticast(t *testing.T) {
	l := newLab(t, 2)
	h1, h2 := l.Host(1), l.Host(2)
	const port = 47001
	m := join(t, h1, port)
	s := sender(t, h2)
	send(t, s, port, "hello from h2")

	d, err := m.receive(time.Now().Add(5 * time.Second))
	if err != nil {
		t.Fatalf("h1 received nothing from h2: %v", err)
	}
	if d.payload != "hello from h2" || d.src != h2.Addr || d.dst != group {
		t.Fatalf("h1 received %+v, want %q from %v to %v", d, "hello from h2", h2.Addr, group)
	}
}

// TestSetLink cuts a host off: it receives nothing while the host beside it
// receives everything; once reconnected, it receives again.
func TestSetLink(t *testing.T) {
	l := newLab(t, 3)
	h1, h2, h3 := l.Host(1), l.Host(2), l.Host(3)
	const port = 47002
	control := join(t, h1, port)
	cut := join(t, h3, port)
	s := sender(t, h2)

	if err := h3.SetLink(false); err != nil {
		t.Fatal(err)
	}
	const n = 20
	for i := range n {
		send(t, s, port, "cut "+strconv.Itoa(i))
	}
	// Positive control: h1, on the same bridge, gets every datagram.
	for i := range n {
		d, err := control.receive(time.Now().Add(5 * time.Second))
		if err != nil {
			t.Fatalf("control host h1 got %d of %d datagrams: %v", i, n, err)
		}
		if want := "cut " + strconv.Itoa(i); d.payload != want {
			t.Fatalf("control host h1 got %q, want %q", d.payload, want)
		}
	}
	// The bridge floods to every port at once, so by now h3 would have
	// them too: give it a further deadline and expect nothing at all.
	if d, err := cut.receive(time.Now().Add(300 * time.Millisecond)); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("cut-off host h3 received %+v (err %v), want nothing", d, err)
	}

	// Reconnected, h3 receives again: resend until it does (bounded).
	if err := h3.SetLink(true); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for i := 0; ; i++ {
		if time.Now().After(deadline) {
			t.Fatal("reconnected host h3 received nothing within 5s")
		}
		send(t, s, port, "back")
		d, err := cut.receive(time.Now().Add(50 * time.Millisecond))
		if err == nil {
			if d.payload != "back" || d.src != h2.Addr {
				t.Fatalf("reconnected host h3 received %+v, want %q from %v", d, "back", h2.Addr)
			}
			break
		}
		if !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Fatal(err)
		}
	}
}

// burstSeq tells bursts apart, so datagrams (extra end markers) left over
// from an earlier burst are ignored.
var burstSeq int

// burst sends n numbered datagrams from s to group:port and then end
// markers, and returns how many numbered datagrams m received. The veth
// and bridge path keeps order, so once a marker arrives every earlier
// datagram has arrived or was dropped: no idle wait is needed. Many markers
// are sent so that loss cannot drop them all.
func burst(t *testing.T, s *ipv4.PacketConn, m *member, port, n int) int {
	t.Helper()
	burstSeq++
	tag := "b" + strconv.Itoa(burstSeq) + "-"
	for i := range n {
		send(t, s, port, tag+strconv.Itoa(i))
	}
	for range 40 {
		send(t, s, port, tag+"end")
	}
	seen := make(map[string]bool, n)
	deadline := time.Now().Add(10 * time.Second)
	for {
		d, err := m.receive(deadline)
		if err != nil {
			t.Fatalf("no end marker within 10s (%d datagrams received): %v", len(seen), err)
		}
		switch {
		case !strings.HasPrefix(d.payload, tag):
			continue // from an earlier burst
		case d.payload == tag+"end":
			return len(seen)
		case seen[d.payload]:
			t.Fatalf("datagram %q received twice", d.payload)
		}
		seen[d.payload] = true
	}
}

// TestSetLoss checks that a 30% drop rule loses roughly 30% of 1000
// datagrams, whether the lossy host receives or sends them, and that
// without it nothing is lost.
func TestSetLoss(t *testing.T) {
	l := newLab(t, 2)
	h1, h2 := l.Host(1), l.Host(2)
	const port, n = 47003, 1000
	m := join(t, h1, port)
	s := sender(t, h2)

	// Control: no rule, no loss.
	if got := burst(t, s, m, port, n); got != n {
		t.Fatalf("without loss h1 received %d of %d datagrams", got, n)
	}

	for _, tc := range []struct {
		name  string
		lossy *lab.Host
	}{
		{"ingress at the receiver", h1},
		{"egress at the sender", h2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.lossy.SetLoss(30); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() {
				if err := tc.lossy.SetLoss(0); err != nil {
					t.Error(err)
				}
			})
			got := burst(t, s, m, port, n)
			lost := 100 * float64(n-got) / n
			t.Logf("30%% rule: received %d of %d, lost %.1f%%", got, n, lost)
			// Binomial(1000, 0.3) has a standard deviation of 1.45 points:
			// 15-45% is over 10 of them each side.
			if lost < 15 || lost > 45 {
				t.Fatalf("lost %.1f%% of %d datagrams with a 30%% rule, want 15-45%%", lost, n)
			}
		})
	}

	// SetLoss(0) removed the rules: back to no loss, and no table left.
	if got := burst(t, s, m, port, n); got != n {
		t.Fatalf("after SetLoss(0) h1 received %d of %d datagrams", got, n)
	}
	for _, h := range []*lab.Host{h1, h2} {
		out, err := h.Command(context.Background(), "nft", "list", "tables").CombinedOutput()
		if err != nil {
			t.Fatalf("nft list tables in %s: %v: %s", h, err, out)
		}
		if bytes.Contains(out, []byte("mcglab")) {
			t.Errorf("%s still has the loss table after SetLoss(0): %s", h, out)
		}
	}
}

func TestInvalid(t *testing.T) {
	if _, err := lab.Start(0); err == nil {
		t.Error("Start(0) succeeded")
	}
	if _, err := lab.Start(lab.MaxHosts + 1); err == nil {
		t.Errorf("Start(%d) succeeded", lab.MaxHosts+1)
	}
	l := newLab(t, 1)
	for _, p := range []int{-1, 101} {
		if err := l.Host(1).SetLoss(p); err == nil {
			t.Errorf("SetLoss(%d) succeeded", p)
		}
	}
}

// TestCloseRemovesEverything: Close deletes every namespace of the lab and
// kills the processes left in them; a second Close is harmless.
func TestCloseRemovesEverything(t *testing.T) {
	l, err := lab.Start(2, lab.NoSignalHandler())
	if err != nil {
		if errors.Is(err, lab.ErrUnsupported) && os.Getenv("CI") != "true" {
			t.Skip(err)
		}
		t.Fatal(err)
	}
	if got := namespaces(t, l.Prefix()+"-"); len(got) != 3 {
		t.Fatalf("lab namespaces = %v, want a bridge and 2 hosts", got)
	}
	// The shell says "ready" once it runs, that is, once it is in the host.
	cmd := l.Host(1).Command(context.Background(), "sh", "-c", "echo ready; exec sleep 300")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ready := make([]byte, 6)
	if _, err := io.ReadFull(stdout, ready); err != nil || string(ready) != "ready\n" {
		t.Fatalf("process in the lab did not start: %q %v", ready, err)
	}
	waited := make(chan error, 1)
	go func() { waited <- cmd.Wait() }()

	if err := l.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := l.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if left := namespaces(t, l.Prefix()+"-"); len(left) > 0 {
		t.Fatalf("namespaces left after Close: %v", left)
	}
	select {
	case err := <-waited:
		var exit *exec.ExitError
		if !errors.As(err, &exit) {
			t.Fatalf("process in the lab ended with %v, want killed", err)
		}
	case <-time.After(10 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatal("process in the lab still running 10s after Close")
	}
}

// TestSignalClosesLabs: a program using Start that gets SIGTERM or SIGINT
// deletes its lab and dies of the signal.
func TestSignalClosesLabs(t *testing.T) {
	if err := lab.Supported(); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
		t.Run(sig.String(), func(t *testing.T) {
			cmd := exec.Command(exe)
			cmd.Env = append(os.Environ(), signalHelperEnv+"=1")
			// A namespace of its own, like every test process here.
			cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWNET, Pdeathsig: syscall.SIGKILL}
			stdin, err := cmd.StdinPipe()
			if err != nil {
				t.Fatal(err)
			}
			defer stdin.Close()
			stdout, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			waited := make(chan error, 1)
			line, rerr := bufio.NewReader(stdout).ReadString('\n')
			go func() { waited <- cmd.Wait() }()
			prefix := strings.TrimSpace(line)
			if rerr != nil || !strings.HasPrefix(prefix, "mcg") {
				t.Fatalf("helper printed %q (%v), want a lab prefix", line, rerr)
			}
			if got := namespaces(t, prefix+"-"); len(got) != 3 {
				t.Fatalf("helper's namespaces = %v, want 3", got)
			}
			if err := cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			select {
			case err := <-waited:
				var exit *exec.ExitError
				if !errors.As(err, &exit) || exit.Sys().(syscall.WaitStatus).Signal() != sig {
					t.Errorf("helper ended with %v, want death by %v", err, sig)
				}
			case <-time.After(10 * time.Second):
				_ = cmd.Process.Kill()
				t.Fatalf("helper still running 10s after %v", sig)
			}
			if left := namespaces(t, prefix+"-"); len(left) > 0 {
				t.Fatalf("namespaces left after %v: %v", sig, left)
			}
		})
	}
}

// TestCleanStale: namespaces named after a dead process are removed, those
// of a live one are kept.
func TestCleanStale(t *testing.T) {
	if err := lab.Supported(); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	// Above the kernel's largest pid_max (2^22): never a live process.
	const deadPID = 4194304 + 7
	stale := fmt.Sprintf("mcg%d-1-h1", deadPID)
	live := fmt.Sprintf("mcg%d-999-h1", os.Getpid())
	add := func(n string) {
		t.Helper()
		if out, err := exec.Command("ip", "netns", "add", n).CombinedOutput(); err != nil {
			t.Fatalf("ip netns add %s: %v: %s", n, err, out)
		}
	}
	add(live)
	t.Cleanup(func() { _ = exec.Command("ip", "netns", "del", live).Run() })

	// Labs that other test packages start at the same time clean stale
	// namespaces too, and may take ours first: then try again.
	const attempts = 5
	for i := 1; ; i++ {
		add(stale)
		removed, err := lab.CleanStale()
		if err != nil {
			t.Fatal(err)
		}
		if got := namespaces(t, stale); len(got) > 0 {
			t.Fatalf("stale namespace %s still there", stale)
		}
		if slices.Contains(removed, stale) {
			if len(removed) != 1 {
				t.Logf("CleanStale also removed %v (another run's leftovers)", removed)
			}
			break
		}
		if i == attempts {
			t.Fatalf("CleanStale removed %v, never %s, in %d attempts", removed, stale, attempts)
		}
	}
	if got := namespaces(t, live); len(got) != 1 {
		t.Errorf("CleanStale removed the live namespace %s", live)
	}
}

// TestSixtyHosts builds the largest lab the benchmarks use and sends a
// datagram from the first host to the last.
func TestSixtyHosts(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	start := time.Now()
	l := newLab(t, 60)
	t.Logf("built 60 hosts in %v", time.Since(start))
	first, last := l.Host(1), l.Host(60)
	if want := netip.MustParseAddr("198.18.0.60"); last.Addr != want {
		t.Fatalf("host 60 has %v, want %v", last.Addr, want)
	}
	const port = 47004
	m := join(t, last, port)
	send(t, sender(t, first), port, "across")
	if d, err := m.receive(time.Now().Add(5 * time.Second)); err != nil || d.payload != "across" || d.src != first.Addr {
		t.Fatalf("host 60 received %+v, %v; want %q from %v", d, err, "across", first.Addr)
	}
}

func BenchmarkStart(b *testing.B) {
	for _, n := range []int{2, 10, 60} {
		b.Run(fmt.Sprintf("hosts=%d", n), func(b *testing.B) {
			for b.Loop() {
				l, err := lab.Start(n, lab.NoSignalHandler())
				if err != nil {
					b.Skip(err)
				}
				if err := l.Close(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestBinary builds the command once per process and runs it.
func TestBinary(t *testing.T) {
	bin := lab.Binary(t)
	if again := lab.Binary(t); again != bin {
		t.Fatalf("second Binary() = %q, want the first build %q", again, bin)
	}
	st, err := os.Stat(bin)
	if err != nil {
		t.Fatal(err)
	}
	if !filepath.IsAbs(bin) || st.Mode()&0o111 == 0 {
		t.Fatalf("Binary() = %q, mode %v; want an absolute path to an executable", bin, st.Mode())
	}
	out, err := exec.Command(bin, "version").CombinedOutput()
	if err != nil || len(bytes.TrimSpace(out)) == 0 {
		t.Fatalf("%s version: %v: %q", bin, err, out)
	}
}

// TestSetLossKeepsNeighborDiscovery: as ARP for IPv4, IPv6 neighbor
// discovery is never dropped, so that loss hits IPv4 and IPv6 traffic
// alike: with 100% loss on h2, a datagram h1 sends to h2's IPv6 address is
// lost, but h1 resolves the address (its neighbor entry gets a link-layer
// address).
func TestSetLossKeepsNeighborDiscovery(t *testing.T) {
	l := newLab(t, 2, lab.WithFamily(lab.DualStack))
	h1, h2 := l.Host(1), l.Host(2)
	if err := h2.SetLoss(100); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = h2.SetLoss(0) })
	addr := h2.Addr6.String()
	err := h1.Do(func() error {
		c, err := net.Dial("udp6", net.JoinHostPort(addr, "9"))
		if err != nil {
			return err
		}
		defer c.Close()
		_, err = c.Write([]byte("resolve me"))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		out, err := h1.Command(context.Background(), "ip", "-6", "neigh", "show", addr).CombinedOutput()
		if err != nil {
			t.Fatalf("ip -6 neigh show %s: %v: %s", addr, err, out)
		}
		s := string(out)
		if strings.Contains(s, "lladdr") && !strings.Contains(s, "FAILED") {
			return
		}
		if strings.Contains(s, "FAILED") || time.Now().After(deadline) {
			t.Fatalf("h1 did not resolve %s through 100%% loss: %q", addr, s)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
