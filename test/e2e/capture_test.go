package e2e

import (
	"encoding/binary"
	"errors"
	"net"
	"net/netip"
	"slices"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/mcgossip/go-discover-mcgossip/internal/lab"
)

// capture records the IPv4 packets a lab host sends on eth0, from an
// AF_PACKET socket in the host: what leaves the host, whichever process
// sent it.
type capture struct {
	fd   int
	done chan struct{}

	mu  sync.Mutex
	udp []netip.AddrPort // destinations of the UDP datagrams sent
	tcp map[netip.Addr]bool
}

// startCapture starts capturing what h sends, until the test ends.
func startCapture(t *testing.T, h *lab.Host) *capture {
	t.Helper()
	c := &capture{done: make(chan struct{}), tcp: map[netip.Addr]bool{}}
	proto := int(htons(unix.ETH_P_ALL))
	err := h.Do(func() error {
		ifi, err := h.Interface()
		if err != nil {
			return err
		}
		fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_RAW|unix.SOCK_CLOEXEC, proto)
		if err != nil {
			return err
		}
		if err := unix.Bind(fd, &unix.SockaddrLinklayer{Protocol: htons(unix.ETH_P_ALL), Ifindex: ifi.Index}); err != nil {
			unix.Close(fd)
			return err
		}
		// Wake up now and then to see whether the capture is over.
		tv := unix.NsecToTimeval(int64(50 * time.Millisecond))
		if err := unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv); err != nil {
			unix.Close(fd)
			return err
		}
		c.fd = fd
		return nil
	})
	if err != nil {
		t.Fatalf("capturing on %s: %v", h, err)
	}
	stop := make(chan struct{})
	go c.run(stop)
	t.Cleanup(func() { close(stop); <-c.done; unix.Close(c.fd) })
	return c
}

func htons(v uint16) uint16 { return v<<8 | v>>8 }

// run reads frames until stop.
func (c *capture) run(stop chan struct{}) {
	defer close(c.done)
	buf := make([]byte, 65536)
	for {
		select {
		case <-stop:
			return
		default:
		}
		n, from, err := unix.Recvfrom(c.fd, buf, 0)
		if errors.Is(err, unix.EAGAIN) || errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return
		}
		ll, ok := from.(*unix.SockaddrLinklayer)
		if !ok || ll.Pkttype != unix.PACKET_OUTGOING {
			continue
		}
		c.record(buf[:n])
	}
}

// record notes an outgoing Ethernet frame that holds IPv4.
func (c *capture) record(f []byte) {
	if len(f) < 14+20 || binary.BigEndian.Uint16(f[12:14]) != 0x0800 {
		return
	}
	ip := f[14:]
	ihl := int(ip[0]&0x0f) * 4
	dst := netip.AddrFrom4([4]byte(ip[16:20]))
	c.mu.Lock()
	defer c.mu.Unlock()
	switch ip[9] {
	case unix.IPPROTO_UDP:
		port := uint16(0)
		if len(ip) >= ihl+4 {
			port = binary.BigEndian.Uint16(ip[ihl+2 : ihl+4])
		}
		c.udp = append(c.udp, netip.AddrPortFrom(dst, port))
	case unix.IPPROTO_TCP:
		c.tcp[dst] = true
	}
}

// sent returns the destinations of the UDP datagrams and of the TCP
// segments captured so far.
func (c *capture) sent() (udp []netip.AddrPort, tcp map[netip.Addr]bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	tcp = make(map[netip.Addr]bool, len(c.tcp))
	for a := range c.tcp {
		tcp[a] = true
	}
	return append([]netip.AddrPort(nil), c.udp...), tcp
}

// control sends a UDP datagram from h to dst and waits until the capture
// has it, to show that it would have seen one.
func (c *capture) control(t *testing.T, h *lab.Host, dst netip.AddrPort) {
	t.Helper()
	pc, err := h.ListenPacket("udp4", h.Addr.String()+":0")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	if _, err := pc.WriteTo([]byte("control"), net.UDPAddrFromAddrPort(dst)); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	for {
		if udp, _ := c.sent(); slices.Contains(udp, dst) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("the capture did not see a datagram sent to " + dst.String())
		}
		<-tick.C
	}
}
