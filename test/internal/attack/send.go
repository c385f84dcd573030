package attack

import (
	"encoding/binary"
	"fmt"
	"net"
	"net/netip"
	"time"

	"golang.org/x/sys/unix"

	"github.com/mcgossip/go-discover-mcgossip/internal/lab"
)

// Conn is a UDP socket of the attacker's own address: what it sends carries
// its real source, so replies come back to it (Received).
type Conn struct {
	c    *net.UDPConn
	recv chan Datagram
	done chan struct{}
}

// Listen opens a Conn on host h's address, on an ephemeral port.
func Listen(h *lab.Host) (*Conn, error) {
	var c *net.UDPConn
	err := in(h, func() error {
		addr := "0.0.0.0:0"
		if h != nil {
			addr = netip.AddrPortFrom(h.Addr, 0).String()
		}
		pc, err := net.ListenPacket("udp4", addr)
		if err == nil {
			c = pc.(*net.UDPConn)
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("attack: listening on %v: %w", h, err)
	}
	_ = c.SetWriteBuffer(4 << 20)
	k := &Conn{c: c, recv: make(chan Datagram, 1024), done: make(chan struct{})}
	go k.read()
	return k, nil
}

func (k *Conn) read() {
	defer close(k.done)
	defer close(k.recv)
	buf := make([]byte, maxDatagram)
	for {
		n, src, err := k.c.ReadFromUDPAddrPort(buf)
		if err != nil {
			return
		}
		d := Datagram{Data: append([]byte(nil), buf[:n]...), Src: netip.AddrPortFrom(src.Addr().Unmap(), src.Port()), At: time.Now()}
		select {
		case k.recv <- d:
		default: // nobody reads: dropped, as a full socket buffer would
		}
	}
}

// Addr returns the address and port the Conn sends from.
func (k *Conn) Addr() netip.AddrPort {
	return k.c.LocalAddr().(*net.UDPAddr).AddrPort()
}

// Send sends b to dst (a unicast address or the group).
func (k *Conn) Send(dst netip.AddrPort, b []byte) error {
	_, err := k.c.WriteToUDPAddrPort(b, dst)
	return err
}

// Received returns the datagrams sent to the Conn; it is closed by Close.
func (k *Conn) Received() <-chan Datagram { return k.recv }

// Close closes the socket.
func (k *Conn) Close() error {
	err := k.c.Close()
	<-k.done
	return err
}

// Spoofer sends UDP datagrams with any source address and port: a raw IPv4
// socket (IP_HDRINCL) that writes the IP and UDP headers itself. The
// kernel routes the packet by its destination (the group goes out of eth0,
// with TTL 1) and fills in the IP checksum.
type Spoofer struct {
	fd  int
	buf []byte
}

// NewSpoofer opens a raw socket in host h's namespace (root).
func NewSpoofer(h *lab.Host) (*Spoofer, error) {
	var fd int
	err := in(h, func() error {
		var err error
		fd, err = unix.Socket(unix.AF_INET, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.IPPROTO_RAW)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("attack: raw socket on %v: %w", h, err)
	}
	_ = unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_SNDBUF, 4<<20)
	return &Spoofer{fd: fd}, nil
}

// Send sends payload from src to dst, both IPv4.
func (s *Spoofer) Send(src, dst netip.AddrPort, payload []byte) error {
	s.buf = Packet(s.buf[:0], src, dst, payload)
	err := unix.Sendto(s.fd, s.buf, 0, &unix.SockaddrInet4{Addr: dst.Addr().As4()})
	if err != nil {
		return fmt.Errorf("attack: sending %s -> %s: %w", src, dst, err)
	}
	return nil
}

// Close closes the socket.
func (s *Spoofer) Close() error { return unix.Close(s.fd) }

// Packet appends to b an IPv4 packet that carries payload in a UDP datagram
// from src to dst (TTL 1 to a multicast group, 64 otherwise), with the UDP
// checksum; the kernel fills in the IP id and checksum.
func Packet(b []byte, src, dst netip.AddrPort, payload []byte) []byte {
	const ipLen, udpLen = 20, 8
	total := ipLen + udpLen + len(payload)
	ttl := byte(64)
	if dst.Addr().IsMulticast() {
		ttl = 1
	}
	s4, d4 := src.Addr().As4(), dst.Addr().As4()
	b = append(b, 0x45, 0, byte(total>>8), byte(total), 0, 0, 0x40, 0, ttl, unix.IPPROTO_UDP, 0, 0)
	b = append(b, s4[:]...)
	b = append(b, d4[:]...)
	u := len(b)
	b = binary.BigEndian.AppendUint16(b, src.Port())
	b = binary.BigEndian.AppendUint16(b, dst.Port())
	b = binary.BigEndian.AppendUint16(b, uint16(udpLen+len(payload)))
	b = append(b, 0, 0)
	b = append(b, payload...)
	// The UDP checksum covers a pseudo-header (addresses, protocol,
	// length) and the datagram; 0 is sent as 0xffff.
	sum := uint32(unix.IPPROTO_UDP) + uint32(udpLen+len(payload))
	for _, w := range [][]byte{s4[:], d4[:], b[u:]} {
		for i := 0; i+1 < len(w); i += 2 {
			sum += uint32(w[i])<<8 | uint32(w[i+1])
		}
		if len(w)%2 == 1 {
			sum += uint32(w[len(w)-1]) << 8
		}
	}
	for sum > 0xffff {
		sum = sum&0xffff + sum>>16
	}
	c := ^uint16(sum)
	if c == 0 {
		c = 0xffff
	}
	binary.BigEndian.PutUint16(b[u+6:], c)
	return b
}
