package mcast

import (
	"context"
	"net"
	"net/netip"
	"runtime"
)

// Receiver is the receiving half of a Transport: the group socket alone,
// joined to the group on each interface (and again on an interface that
// comes back), with no socket to send from and no method that sends. A
// provider that only observes a group that another protocol owns uses it,
// so that it cannot send into that group by mistake.
//
// Like the group socket of a Transport, it binds the port with
// SO_REUSEADDR (see controlGroup), so it shares the port with the
// other protocol's sockets on the same host (SO_REUSEADDR is enough for a
// socket that has only that, such as a BEAM node's), and has
// IP_MULTICAST_ALL off.
type Receiver struct {
	t      *Transport
	dialer net.Dialer
}

// OpenReceiver opens the group socket as Open does, on the calling thread
// (so in its network namespace, which the Receiver keeps using for its
// interface scans and its Dial), and joins the group. Settings.TTL is not
// used; Settings.IfAddr chooses the interface as in Open, and is the local
// address of the connections Dial makes. Nothing is received before
// Start. Close it when done.
func OpenReceiver(s Settings) (*Receiver, error) {
	s.receiveOnly = true
	t, err := Open(s)
	if err != nil {
		return nil, err
	}
	r := &Receiver{t: t}
	if s.IfAddr.IsValid() && !s.IfAddr.IsUnspecified() {
		r.dialer.LocalAddr = net.TCPAddrFromAddrPort(netip.AddrPortFrom(s.IfAddr, 0))
	}
	return r, nil
}

// Start begins delivering received datagrams to h (Packet.Group is always
// true), and calls rejoined (from another goroutine) after the group was
// joined again on an interface that had gone. Call it once.
func (r *Receiver) Start(h Handler, rejoined func(iface string)) { r.t.Start(h, rejoined) }

// Interfaces returns the interfaces in use, as of the last scan.
func (r *Receiver) Interfaces() []Interface { return r.t.Interfaces() }

// Dial opens a connection, as net.Dialer's DialContext does, from the
// network namespace the Receiver was opened in, whichever namespace the
// calling thread is in, and from Settings.IfAddr when it is set. It is
// what a provider that checks the senders it hears (over TCP) dials with.
func (r *Receiver) Dial(ctx context.Context, network, address string) (net.Conn, error) {
	type result struct {
		c   net.Conn
		err error
	}
	done := make(chan result, 1)
	// A goroutine of its own: its thread may have to switch namespace, and
	// a switched thread is never handed back to the scheduler.
	go func() {
		runtime.LockOSThread()
		switched, err := r.t.ns.enter()
		if !switched {
			defer runtime.UnlockOSThread()
		}
		if err != nil {
			done <- result{nil, err}
			return
		}
		// The socket is made on this thread, so in the namespace; it stays
		// there whichever thread uses it later.
		c, err := r.dialer.DialContext(ctx, network, address)
		done <- result{c, err}
	}()
	res := <-done
	return res.c, res.err
}

// Close stops delivery and returns once every goroutine of the Receiver
// has ended. Connections made by Dial are the caller's to close.
func (r *Receiver) Close() error { return r.t.Close() }
