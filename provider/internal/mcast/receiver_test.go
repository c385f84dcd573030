package mcast

import (
	"context"
	"net"
	"net/netip"
	"os/exec"
	"runtime"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/mcgossip/go-discover-mcgossip/provider/internal/testns"
)

// TestMain runs the tests in a private network namespace.
func TestMain(m *testing.M) { testns.Main(m) }

var (
	loopback  = netip.MustParseAddr("127.0.0.1")
	testGroup = netip.MustParseAddr("239.255.77.9")
)

// TestReceiver: a Receiver shares its port with a socket that has only
// SO_REUSEADDR, bound to 0.0.0.0 (as a BEAM node's Gossip socket is); both
// get the group's datagrams; the Receiver tells each one's source,
// destination and interface.
func TestReceiver(t *testing.T) {
	const port = 45990
	r, err := OpenReceiver(Settings{Group: testGroup, Port: port, IfAddr: netip.IPv4Unspecified(), Interfaces: []string{"lo"}})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	got := make(chan Packet, 1)
	r.Start(func(p *Packet) {
		q := *p
		q.Data = append([]byte(nil), p.Data...)
		got <- q
	}, nil)

	lc := net.ListenConfig{Control: func(_, _ string, c syscall.RawConn) error {
		var serr error
		err := c.Control(func(fd uintptr) { serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_REUSEADDR, 1) })
		if err != nil {
			return err
		}
		return serr
	}}
	pc, err := lc.ListenPacket(context.Background(), "udp4", "0.0.0.0:45990")
	if err != nil {
		t.Fatalf("a socket with SO_REUSEADDR only cannot share the port: %v", err)
	}
	defer pc.Close()
	lo, err := net.InterfaceByName("lo")
	if err != nil {
		t.Fatal(err)
	}
	if err := joinGroup(pc.(*net.UDPConn), lo, testGroup); err != nil {
		t.Fatal(err)
	}

	snd, err := net.DialUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)}, net.UDPAddrFromAddrPort(netip.AddrPortFrom(testGroup, port)))
	if err != nil {
		t.Fatal(err)
	}
	defer snd.Close()
	if _, err := snd.Write([]byte("hello")); err != nil {
		t.Fatal(err)
	}
	select {
	case p := <-got:
		if string(p.Data) != "hello" || p.Src != snd.LocalAddr().(*net.UDPAddr).AddrPort() || p.Dst != testGroup ||
			p.IfIndex != lo.Index || !p.Group {
			t.Errorf("packet %+v", p)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the Receiver got nothing")
	}
	_ = pc.SetReadDeadline(time.Now().Add(5 * time.Second))
	buf := make([]byte, 16)
	if n, _, err := pc.ReadFrom(buf); err != nil || string(buf[:n]) != "hello" {
		t.Fatalf("the other socket: %q, %v", buf[:n], err)
	}
	if ifs := r.Interfaces(); len(ifs) != 1 || ifs[0].Name != "lo" || !ifs[0].Up {
		t.Errorf("interfaces %+v", ifs)
	}
}

// joinGroup joins c to group on ifi.
func joinGroup(c *net.UDPConn, ifi *net.Interface, group netip.Addr) error {
	raw, err := c.SyscallConn()
	if err != nil {
		return err
	}
	mreq := &unix.IPMreqn{Multiaddr: group.As4(), Ifindex: int32(ifi.Index)}
	var serr error
	if err := raw.Control(func(fd uintptr) {
		serr = unix.SetsockoptIPMreqn(int(fd), unix.IPPROTO_IP, unix.IP_ADD_MEMBERSHIP, mreq)
	}); err != nil {
		return err
	}
	return serr
}

// TestReceiverDial: Dial connects from the namespace the Receiver was
// opened in, whichever thread calls it, and from IfAddr.
func TestReceiverDial(t *testing.T) {
	type opened struct {
		r   *Receiver
		ln  net.Listener
		err error
	}
	var o opened
	o.err = inNewNetns([][]string{{"link", "set", "lo", "up"}}, func() error {
		var err error
		if o.ln, err = net.Listen("tcp4", "127.0.0.1:0"); err != nil {
			return err
		}
		o.r, err = OpenReceiver(Settings{Group: testGroup, Port: 45991, IfAddr: loopback, Interfaces: []string{"lo"}})
		return err
	})
	if o.err != nil {
		t.Fatalf("setting up a second namespace: %v", o.err)
	}
	defer o.ln.Close()
	defer o.r.Close()
	addr := o.ln.Addr().String()
	// This goroutine's thread is in the test's namespace, where nothing
	// listens on that port.
	if c, err := net.DialTimeout("tcp4", addr, time.Second); err == nil {
		c.Close()
		t.Fatalf("%s listens in the test's namespace too: the test proves nothing", addr)
	}
	accepted := make(chan net.Conn, 1)
	go func() {
		c, _ := o.ln.Accept()
		accepted <- c
	}()
	c, err := o.r.Dial(context.Background(), "tcp", addr)
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	defer c.Close()
	if local := c.LocalAddr().(*net.TCPAddr).AddrPort().Addr(); local != loopback {
		t.Errorf("local address %v, want if_addr", local)
	}
	if s := <-accepted; s == nil {
		t.Fatal("nothing accepted")
	} else {
		s.Close()
	}
}

// inNewNetns runs, on a thread of its own in a new network namespace, the
// ip(8) commands given and then f; the thread stays in that namespace and
// is never handed back, so what f opens (sockets, a Transport) lives there.
func inNewNetns(ip [][]string, f func() error) error {
	done := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		if err := unix.Unshare(unix.CLONE_NEWNET); err != nil {
			done <- err
			return
		}
		for _, args := range ip {
			if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
				done <- &exec.Error{Name: string(out), Err: err}
				return
			}
		}
		done <- f()
	}()
	return <-done
}
