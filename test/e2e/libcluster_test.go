package e2e

import (
	"bufio"
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/sha256"
	"encoding/binary"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/mcgossip/go-discover-mcgossip/internal/lab"
	"github.com/mcgossip/go-discover-mcgossip/plugin"
)

// The libcluster provider against real BEAM nodes on a virtual LAN.

const (
	labCookie   = "cookie-of-the-cluster"
	otherCookie = "cookie-of-another-cluster"
	labSecret   = "lab-secret-123"
)

// libclusterGroup is libcluster's default group (3.3 and later), which
// the provider listens on by default.
var libclusterGroup = netip.MustParseAddr("233.252.1.32")

// TestLabLibcluster is the done-criterion of provider=libcluster: on a
// LAN of four hosts with BEAM nodes of two cookies, in plain and in secret
// mode, `go-discover-mcgossip -q addrs provider=libcluster
// erlang_cookie_file=...` on host 1 prints exactly the IPs of the nodes
// that send heartbeats and share the cookie, while a host sends hostile
// and forged heartbeats; the nodes never list the probe, the node with
// another cookie logs one error, host 1 sends nothing to the group (no UDP
// at all) and connects only to the nodes' hosts; watch shows the nodes.
func TestLabLibcluster(t *testing.T) {
	requireErlang(t)
	bin := lab.Binary(t)
	l := lab.New(t, 4)
	h1, h2, h3, h4 := l.Host(1), l.Host(2), l.Host(3), l.Host(4)
	for _, h := range l.Hosts()[1:] {
		startEpmd(t, h)
	}
	capt := startCapture(t, h1)
	node := func(h *lab.Host, name, cookie string, args ...string) *beam {
		return startNode(t, h, name+"@"+h.Addr.String(), cookie,
			append([]string{"if=" + h.Addr.String(), "group=" + libclusterGroup.String(), "timing=gossip"}, args...)...)
	}
	checked := []*beam{
		node(h2, "p2", labCookie),                                    // plain
		node(h2, "s2", labCookie, "secret="+labSecret),               // secret
		node(h3, "p3", labCookie, "atoms=utf8"),                      // plain, OTP 26's atoms
		node(h4, "s4", labCookie, "secret="+labSecret, "atoms=utf8"), // secret, OTP 26's atoms
	}
	p4 := node(h4, "p4", otherCookie)
	w4 := node(h4, "w4", labCookie, "secret=another-secret")
	stopHostile := hostile(t, h3)

	dir := t.TempDir()
	cookieFile := filepath.Join(dir, "erlang.cookie")
	secretFile := filepath.Join(dir, "secret")
	for path, content := range map[string]string{cookieFile: labCookie + "\n", secretFile: labSecret + "\n"} {
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	lookups := []struct {
		name string
		args []string
		want string
	}{
		{"plain", []string{"erlang_cookie_file=" + cookieFile}, "198.18.0.2 198.18.0.3"},
		{"secret", []string{"erlang_cookie_file=" + cookieFile, "secret_file=" + secretFile}, "198.18.0.2 198.18.0.4"},
		{"wrong secret", []string{"erlang_cookie_file=" + cookieFile, "secret=not-the-secret"}, ""},
		{"no cookie", nil, "198.18.0.2 198.18.0.3 198.18.0.4"},
	}
	var wg sync.WaitGroup
	for _, lk := range lookups {
		wg.Add(1)
		go func() {
			defer wg.Done()
			args := append([]string{"-q", "addrs", "provider=libcluster"}, lk.args...)
			var stdout, stderr bytes.Buffer
			cmd := h1.Command(context.Background(), bin, args...)
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			start := time.Now()
			err := cmd.Run()
			if got := strings.TrimSuffix(stdout.String(), "\n"); err != nil || got != lk.want || stderr.Len() != 0 {
				t.Errorf("%s: addrs printed %q (%v), want %q; stderr %q", lk.name, stdout.String(), err, lk.want, stderr.String())
			}
			t.Logf("%s: %q in %v", lk.name, lk.want, time.Since(start).Round(time.Millisecond))
		}()
	}
	wg.Wait()
	stopHostile()

	for _, b := range checked {
		if visible, hidden, n := b.nodes(); visible != "[]" || hidden != "[]" || n != 0 {
			t.Errorf("%s: nodes() = %s, nodes(hidden) = %s, %d log events; want none", b.name, visible, hidden, n)
		}
	}
	if _, _, n := p4.nodes(); n != 1 {
		t.Errorf("%s (another cookie) logged %d errors, want 1 (one check)", p4.name, n)
	}
	if _, _, n := w4.nodes(); n != 0 {
		t.Errorf("%s (another secret) logged %d events, want none (never checked)", w4.name, n)
	}
	udp, tcp := capt.sent()
	if len(udp) != 0 {
		t.Errorf("host 1 sent UDP datagrams to %v; the provider must send nothing", udp)
	}
	for a := range tcp {
		if a != h2.Addr && a != h3.Addr && a != h4.Addr {
			t.Errorf("host 1 connected to %v, which sent no heartbeat (only forged ones named it)", a)
		}
	}
	if !tcp[h2.Addr] || !tcp[h4.Addr] {
		t.Errorf("the capture saw no connection to the checked hosts: %v", tcp)
	}
	capt.control(t, h1, netip.AddrPortFrom(h2.Addr, 9)) // it sees UDP, too

	watchLibcluster(t, h1, bin, cookieFile, "join p2@198.18.0.2 198.18.0.2 port=", "join p3@198.18.0.3 198.18.0.3 port=",
		"reject p4@198.18.0.4 198.18.0.4")
}

// watchLibcluster runs `watch provider=libcluster` on h until it has
// printed a line with each of want, then stops it with SIGINT.
func watchLibcluster(t *testing.T, h *lab.Host, bin, cookieFile string, want ...string) {
	t.Helper()
	cmd := h.Command(context.Background(), bin, "-q", "watch", "provider=libcluster", "erlang_cookie_file="+cookieFile)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan string, 64)
	go func() {
		defer close(lines)
		s := bufio.NewScanner(out)
		for s.Scan() {
			lines <- s.Text()
		}
	}()
	timeout := time.After(erlWait)
	var seen []string
	for missing := slices.Clone(want); len(missing) > 0; {
		select {
		case l := <-lines:
			seen = append(seen, l)
			missing = slices.DeleteFunc(missing, func(w string) bool { return strings.Contains(l, w) })
		case <-timeout:
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
			t.Fatalf("watch printed %q, and no line with %q within %v", seen, missing, erlWait)
		}
	}
	_ = cmd.Process.Signal(syscall.SIGINT)
	if err := cmd.Wait(); err != nil {
		t.Errorf("watch after SIGINT: %v", err)
	}
}

// hostile sends, from h, datagrams that must change nothing: malformed
// heartbeats, heartbeats of the real nodes and of hosts that run no node
// from the wrong address, names of nodes that do not exist, and secret-mode
// heartbeats forged with the right secret. It returns a function that
// stops it.
func hostile(t *testing.T, h *lab.Host) func() {
	t.Helper()
	pc, err := h.ListenPacket("udp4", h.Addr.String()+":0")
	if err != nil {
		t.Fatal(err)
	}
	dst := net.UDPAddrFromAddrPort(netip.AddrPortFrom(libclusterGroup, 45892))
	datagrams := [][]byte{
		[]byte("heartbeat::\x83\x74\xff\xff\xff\xff\x64\x00\x04node\x64\x00\x03a@b"), // what crashes libcluster
		hb("p2@198.18.0.2"),   // a real node, from the wrong host
		hb("evil@198.18.0.9"), // a host that runs no node
		hb("ghost@" + h.Addr.String()),
		hb("p4@beamhost"), // a host name: checked at this host, which has no p4
		sealHB(labSecret, hb("s4@198.18.0.4")),
		sealHB(labSecret, hb("forged@"+h.Addr.String())),
	}
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for {
			for _, d := range datagrams {
				if _, err := pc.WriteTo(d, dst); err != nil {
					t.Errorf("sending a hostile datagram: %v", err)
					return
				}
			}
			select {
			case <-stop:
				return
			case <-tick.C:
			}
		}
	}()
	var once sync.Once
	stopFn := func() { once.Do(func() { close(stop); <-done; pc.Close() }) }
	t.Cleanup(stopFn)
	return stopFn
}

// hb returns a plain heartbeat of node, as OTP 25 writes it.
func hb(node string) []byte {
	b := append([]byte("heartbeat::"), 131, 116, 0, 0, 0, 1, 100, 0, 4)
	b = append(b, "node"...)
	b = append(b, 100)
	b = binary.BigEndian.AppendUint16(b, uint16(len(node)))
	return append(b, node...)
}

// sealHB encrypts a plain heartbeat as libcluster's secret mode does.
func sealHB(secret string, plain []byte) []byte {
	key := sha256.Sum256([]byte(secret))
	block, err := aes.NewCipher(key[:])
	if err != nil {
		panic(err)
	}
	n := aes.BlockSize - len(plain)%aes.BlockSize
	padded := append(slices.Clone(plain), bytes.Repeat([]byte{byte(n)}, n)...)
	out := make([]byte, aes.BlockSize+len(padded)) // a zero IV
	cipher.NewCBCEncrypter(block, out[:aes.BlockSize]).CryptBlocks(out[aes.BlockSize:], padded)
	return out
}

// TestLibclusterPlugin: the binary, named go-discover-libcluster, is
// loaded by plugin.Discover as the provider "libcluster", and finds a BEAM
// node that sends heartbeats on lo of the test's namespace.
func TestLibclusterPlugin(t *testing.T) {
	requireErlang(t)
	bin := lab.Binary(t)
	dir := t.TempDir()
	if err := os.Symlink(bin, filepath.Join(dir, "go-discover-libcluster")); err != nil {
		t.Fatal(err)
	}
	loaded, err := plugin.Discover(dir)
	if err != nil {
		t.Fatal(err)
	}
	p := loaded["libcluster"]
	if p == nil || len(loaded) != 1 {
		t.Fatalf("plugin.Discover found %v, want libcluster", loaded)
	}
	defer p.Close()
	if h := p.Help(); !strings.HasPrefix(h, "libcluster:\n") {
		t.Errorf("Help() = %q...", h[:min(len(h), 40)])
	}
	port := nextPort()
	startNode(t, nil, "", "", "node=n1@127.0.0.1", "if=127.0.0.1", "ttl=0", "timing=gossip",
		"group=239.255.77.3", "port="+strconv.Itoa(port))
	got, err := p.Addrs(map[string]string{"provider": "libcluster", "iface": "lo", "multicast_addr": "239.255.77.3",
		"port": strconv.Itoa(port), "expect": "1", "timeout": "10s"}, nil)
	if err != nil || !slices.Equal(got, []string{"127.0.0.1"}) {
		t.Errorf("Addrs = %q, %v", got, err)
	}
}
