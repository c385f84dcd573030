// Package attack is the tooling of an outsider on a lab LAN (internal/lab):
// a host without the cookie that records the real datagrams of a multicast
// group (Recorder), resends them from its own address (Conn) or from any
// source address it picks (Spoofer), and a victim host that counts the
// unicast bytes it receives (Counter). The trust tests of test/e2e and the
// flood benchmark use it.
//
// Every socket is opened inside a lab host (Host.Do), so nothing it sends
// can leave the lab. A nil *lab.Host means the calling thread's own
// namespace, for programs that already run inside a lab host (the
// benchmark's workers); tests always pass a host.
package attack

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"syscall"
	"time"

	"golang.org/x/net/ipv4"
	"golang.org/x/sys/unix"

	"github.com/mcgossip/go-discover-mcgossip/internal/lab"
	"github.com/mcgossip/go-discover-mcgossip/provider/mcgossip/wire"
)

// maxDatagram is the receive buffer of every socket here: more than any
// mcgossip datagram.
const maxDatagram = 2048

// in runs fn in h's namespace, or on the calling goroutine when h is nil.
func in(h *lab.Host, fn func() error) error {
	if h == nil {
		return fn()
	}
	return h.Do(fn)
}

// Datagram is one recorded datagram.
type Datagram struct {
	// Data is the datagram's payload, as it was on the wire.
	Data []byte
	// Src is its UDP source.
	Src netip.AddrPort
	// At is when it was recorded.
	At time.Time
}

// Type returns the mcgossip message type of d's clear header (byte 4 of
// every protocol version), or 0 when d is not an mcgossip datagram.
func (d Datagram) Type() wire.Type {
	if len(d.Data) < 5 || string(d.Data[:3]) != "mcg" {
		return 0
	}
	return wire.Type(d.Data[4])
}

// Match selects recorded datagrams.
type Match func(Datagram) bool

// From matches the datagrams whose source address is a.
func From(a netip.Addr) Match { return func(d Datagram) bool { return d.Src.Addr() == a } }

// OfType matches the mcgossip datagrams of type t.
func OfType(t wire.Type) Match { return func(d Datagram) bool { return d.Type() == t } }

// And matches the datagrams every m matches.
func And(ms ...Match) Match {
	return func(d Datagram) bool {
		for _, m := range ms {
			if !m(d) {
				return false
			}
		}
		return true
	}
}

// Recorder records every datagram a host receives on a multicast group: a
// UDP socket bound to the group's address and port and joined to it on
// eth0, as any host of the LAN can open. It keeps what it records until
// Close.
type Recorder struct {
	conn *net.UDPConn

	mu      sync.Mutex
	got     []Datagram
	changed chan struct{} // closed and replaced at each new datagram
	subs    map[chan Datagram]struct{}
	done    chan struct{}
}

// Record starts recording the group on host h's eth0.
func Record(h *lab.Host, group netip.AddrPort) (*Recorder, error) {
	var conn *net.UDPConn
	err := in(h, func() error {
		lc := net.ListenConfig{Control: reuse}
		pc, err := lc.ListenPacket(context.Background(), "udp4", group.String())
		if err != nil {
			return err
		}
		conn = pc.(*net.UDPConn)
		ifi, err := net.InterfaceByName("eth0")
		if err == nil {
			err = ipv4.NewPacketConn(conn).JoinGroup(ifi, &net.UDPAddr{IP: group.Addr().AsSlice()})
		}
		if err != nil {
			conn.Close()
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("attack: recording %s on %v: %w", group, h, err)
	}
	r := &Recorder{conn: conn, changed: make(chan struct{}), subs: map[chan Datagram]struct{}{}, done: make(chan struct{})}
	go r.read()
	return r, nil
}

// reuse sets SO_REUSEADDR, so the recorder shares the group's port with
// anything else on its host, as the engines' group sockets do (not
// SO_REUSEPORT: see controlGroup in provider/internal/mcast).
func reuse(_, _ string, c syscall.RawConn) error {
	var serr error
	err := c.Control(func(fd uintptr) {
		serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_REUSEADDR, 1)
	})
	if err != nil {
		return err
	}
	return serr
}

func (r *Recorder) read() {
	defer close(r.done)
	buf := make([]byte, maxDatagram)
	for {
		n, src, err := r.conn.ReadFromUDPAddrPort(buf)
		if err != nil {
			return
		}
		d := Datagram{Data: append([]byte(nil), buf[:n]...), Src: netip.AddrPortFrom(src.Addr().Unmap(), src.Port()), At: time.Now()}
		r.mu.Lock()
		r.got = append(r.got, d)
		close(r.changed)
		r.changed = make(chan struct{})
		for ch := range r.subs {
			select {
			case ch <- d:
			default: // a slow subscriber misses datagrams; the record keeps them
			}
		}
		r.mu.Unlock()
	}
}

// All returns the datagrams recorded so far that m matches (every one for
// a nil m), oldest first.
func (r *Recorder) All(m Match) []Datagram {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []Datagram
	for _, d := range r.got {
		if m == nil || m(d) {
			out = append(out, d)
		}
	}
	return out
}

// Wait returns once n datagrams that m matches have been recorded (the
// first n), or fails after d.
func (r *Recorder) Wait(d time.Duration, n int, m Match) ([]Datagram, error) {
	deadline := time.NewTimer(d)
	defer deadline.Stop()
	for {
		r.mu.Lock()
		changed := r.changed
		r.mu.Unlock()
		if got := r.All(m); len(got) >= n {
			return got[:n], nil
		}
		select {
		case <-changed:
		case <-deadline.C:
			return nil, fmt.Errorf("attack: %d of %d datagrams recorded within %v", len(r.All(m)), n, d)
		}
	}
}

// Subscribe returns a channel of the datagrams recorded from now on (a
// full channel misses some; the record keeps them all) and a function that
// ends the subscription.
func (r *Recorder) Subscribe() (<-chan Datagram, func()) {
	ch := make(chan Datagram, 1024)
	r.mu.Lock()
	r.subs[ch] = struct{}{}
	r.mu.Unlock()
	return ch, func() {
		r.mu.Lock()
		delete(r.subs, ch)
		r.mu.Unlock()
	}
}

// Close stops recording.
func (r *Recorder) Close() error {
	err := r.conn.Close()
	<-r.done
	return err
}
