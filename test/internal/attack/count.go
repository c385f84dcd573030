package attack

import (
	"encoding/binary"
	"fmt"
	"net"
	"net/netip"
	"os"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"github.com/mcgossip/go-discover-mcgossip/internal/lab"
)

// MarkerPort is where SendMarker sends: a port nothing listens on. A
// Counter does not count marker datagrams; it notes who sent one.
const MarkerPort = 9

// markerPayload is the payload of a marker datagram.
const markerPayload = "mcgossip attack marker"

// Tally is what a Counter counted from one source, or in all.
type Tally struct {
	// Datagrams and Bytes count the IPv4 UDP packets and their IP length
	// (headers included), as they arrived on eth0.
	Datagrams, Bytes uint64
}

// Counter counts the unicast UDP traffic that reaches a host: a packet
// socket (AF_PACKET) on its eth0 sees every IPv4 packet the host receives,
// whether or not a socket listens on its port. Only packets addressed to
// the host's own address count (not multicast, not what it sends).
type Counter struct {
	self netip.Addr
	f    *os.File

	mu      sync.Mutex
	by      map[netip.Addr]Tally
	markers map[netip.Addr]bool
	changed chan struct{} // closed and replaced at each marker
	done    chan struct{}
}

// Count starts counting what host h (not nil) receives.
func Count(h *lab.Host) (*Counter, error) {
	if h == nil {
		return nil, fmt.Errorf("attack: Count needs a lab host")
	}
	var fd int
	err := h.Do(func() error {
		ifi, err := net.InterfaceByName("eth0")
		if err != nil {
			return err
		}
		proto := int(htons(unix.ETH_P_IP))
		fd, err = unix.Socket(unix.AF_PACKET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC|unix.SOCK_NONBLOCK, proto)
		if err != nil {
			return err
		}
		if err := unix.Bind(fd, &unix.SockaddrLinklayer{Protocol: htons(unix.ETH_P_IP), Ifindex: ifi.Index}); err != nil {
			unix.Close(fd)
			return err
		}
		_ = unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUF, 8<<20)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("attack: packet socket on %v: %w", h, err)
	}
	c := &Counter{
		self:    h.Addr,
		f:       os.NewFile(uintptr(fd), "packet socket"), // non-blocking: reads go through the poller
		by:      map[netip.Addr]Tally{},
		markers: map[netip.Addr]bool{},
		changed: make(chan struct{}),
		done:    make(chan struct{}),
	}
	go c.read()
	return c, nil
}

func htons(v uint16) uint16 { return v<<8 | v>>8 }

func (c *Counter) read() {
	defer close(c.done)
	rc, err := c.f.SyscallConn()
	if err != nil {
		return
	}
	buf := make([]byte, 65536)
	for {
		var n int
		var from unix.Sockaddr
		var rerr error
		err := rc.Read(func(fd uintptr) bool {
			n, from, rerr = unix.Recvfrom(int(fd), buf, 0)
			return rerr != unix.EAGAIN
		})
		if err != nil {
			return // closed
		}
		if rerr != nil {
			continue
		}
		if ll, ok := from.(*unix.SockaddrLinklayer); ok && ll.Pkttype == unix.PACKET_OUTGOING {
			continue
		}
		c.note(buf[:n])
	}
}

// note counts one IPv4 packet.
func (c *Counter) note(p []byte) {
	if len(p) < 20 || p[0]>>4 != 4 || p[9] != unix.IPPROTO_UDP {
		return
	}
	ihl := int(p[0]&0x0f) * 4
	src, dst := netip.AddrFrom4([4]byte(p[12:16])), netip.AddrFrom4([4]byte(p[16:20]))
	if dst != c.self || len(p) < ihl+8 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if binary.BigEndian.Uint16(p[ihl+2:]) == MarkerPort && string(p[ihl+8:]) == markerPayload {
		c.markers[src] = true
		close(c.changed)
		c.changed = make(chan struct{})
		return
	}
	t := c.by[src]
	t.Datagrams++
	t.Bytes += uint64(binary.BigEndian.Uint16(p[2:4]))
	c.by[src] = t
}

// Addr returns the address of the host whose traffic c counts.
func (c *Counter) Addr() netip.Addr { return c.self }

// From returns what was counted from source address a so far.
func (c *Counter) From(a netip.Addr) Tally {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.by[a]
}

// FromAny returns what was counted from any of the addresses so far.
func (c *Counter) FromAny(addrs ...netip.Addr) Tally {
	var sum Tally
	for _, a := range addrs {
		t := c.From(a)
		sum.Datagrams += t.Datagrams
		sum.Bytes += t.Bytes
	}
	return sum
}

// AwaitMarkers returns once a marker from each of the addresses has
// arrived, or fails after d. Everything a host sent before its marker
// (through the same link, in order) has been counted by then.
func (c *Counter) AwaitMarkers(d time.Duration, from ...netip.Addr) error {
	deadline := time.NewTimer(d)
	defer deadline.Stop()
	for {
		c.mu.Lock()
		changed := c.changed
		var missing []netip.Addr
		for _, a := range from {
			if !c.markers[a] {
				missing = append(missing, a)
			}
		}
		c.mu.Unlock()
		if len(missing) == 0 {
			return nil
		}
		select {
		case <-changed:
		case <-deadline.C:
			return fmt.Errorf("attack: no marker from %v within %v", missing, d)
		}
	}
}

// Close stops counting.
func (c *Counter) Close() error {
	err := c.f.Close()
	<-c.done
	return err
}

// SendMarker sends a marker datagram from host h to MarkerPort of to.
func SendMarker(h *lab.Host, to netip.Addr) error {
	return in(h, func() error {
		conn, err := net.Dial("udp4", netip.AddrPortFrom(to, MarkerPort).String())
		if err != nil {
			return err
		}
		defer conn.Close()
		_, err = conn.Write([]byte(markerPayload))
		return err
	})
}

// Flush is a datagram that is not mcgossip (it does not start with "mcg")
// and is long enough to pass the length check: an engine drops it as
// "magic". Sent after an attack through the same socket, it tells when a
// receiver has processed everything before it (its magic drop count grows).
var Flush = []byte("not mcgossip: the attack ends here................................................")
