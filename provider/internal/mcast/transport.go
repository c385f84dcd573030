package mcast

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"runtime"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/net/ipv4"
)

// Settings are what Open needs; the caller has checked them (an IPv4
// multicast Group, an IPv4 IfAddr, a TTL from 0 to 255).
type Settings struct {
	// Group and Port are the multicast group.
	Group netip.Addr
	Port  uint16
	// IfAddr is the local address the unicast socket binds to, the
	// unspecified address for any; without Interfaces, the interface that
	// has it is used.
	IfAddr netip.Addr
	// TTL is the multicast TTL.
	TTL int
	// Interfaces are the names of the interfaces to join the group on and
	// send on; none: the one that has IfAddr, or else the one the kernel
	// routes the group to.
	Interfaces []string
	// Rescan is how often the interfaces are polled where rtnetlink cannot
	// report their changes; 0 means DefaultRescan.
	Rescan time.Duration
	// ReadSize is the buffer of one received datagram: a longer datagram
	// arrives cut to ReadSize bytes (so make it one more than the longest
	// datagram accepted, to tell); 0 means 65536.
	ReadSize int
	// ReadBuffer is the receive buffer each socket asks the kernel for, in
	// bytes (SO_RCVBUFFORCE where permitted, else SO_RCVBUF, which the
	// kernel caps at net.core.rmem_max); 0 keeps the kernel's default.
	// Transport.ReadBuffer tells what the kernel granted.
	ReadBuffer int
	// Log receives the log lines; nil discards them.
	Log Logger

	// receiveOnly, set by OpenReceiver, opens no unicast socket.
	receiveOnly bool
}

const (
	// DefaultRescan is how often the interfaces are polled where rtnetlink
	// cannot report their changes.
	DefaultRescan = 2 * time.Second
	// watchedRescan is how often they are polled anyway where it can.
	watchedRescan = time.Minute
)

// Errors of Open that come from the caller's settings, not from the
// system; the error wraps one of them and names the setting's value.
var (
	// ErrUnknownInterface: an interface of Settings.Interfaces does not
	// exist. The error reads `"eth9": no such interface; this host has ...`.
	ErrUnknownInterface = errors.New("no such interface")
	// ErrAddrNotLocal: no interface has Settings.IfAddr. The error reads
	// `"10.0.0.9": no interface of this host has this address (...)`.
	ErrAddrNotLocal = errors.New("no interface of this host has this address")
	// ErrNoRoute: without Interfaces or IfAddr, the kernel has no route to
	// the group. The error reads "the kernel has no route to the group
	// 230.1.1.251 (<cause>)".
	ErrNoRoute = errors.New("the kernel has no route to the group")
)

// ErrNoInterfaceUp is the error of Multicast when no interface is up, and
// of MulticastOn when its interface is not up (or not the Transport's).
var ErrNoInterfaceUp = errors.New("no interface is up")

// Packet is one received datagram.
type Packet struct {
	// Data is the datagram; it is valid only during the Handler call.
	Data []byte
	// Src is the UDP source.
	Src netip.AddrPort
	// Dst is the destination address (IP_PKTINFO): on the group socket the
	// group (the receiver should drop a group datagram whose Dst is not its
	// group, or unknown), on the unicast socket the local address the
	// sender used. The zero Addr when unknown.
	Dst netip.Addr
	// IfIndex is the interface the datagram came in on, 0 when unknown.
	IfIndex int
	// Group tells that it came in on the group socket (multicast), not on
	// the unicast socket.
	Group bool
}

// Handler is called for every datagram received, from the Transport's
// reader goroutines (possibly concurrently).
type Handler func(p *Packet)

// Interface describes an interface a Transport uses.
type Interface struct {
	Name  string
	Index int
	Up    bool // present and up at the last scan
	// Addr is the interface's first IPv4 address at the last scan (the
	// one the kernel sends multicast from), invalid when it has none.
	Addr netip.Addr
}

// readBatch is how many datagrams one ReadBatch (recvmmsg) call takes: a
// flood is read with one system call per 32 datagrams, for 32 buffers
// (about 40 KiB with 1233-byte buffers) per socket.
const readBatch = 32

// Transport moves datagrams over two IPv4 UDP sockets.
//
//   - The group socket is bound to group:port (on Linux) with SO_REUSEADDR
//     and SO_REUSEPORT, IP_MULTICAST_ALL off, joined to the group on every
//     interface; it reports each datagram's destination (for the receiver
//     to check against the group) and interface.
//   - The unicast socket is bound to IfAddr:0. Every datagram goes out from
//     it (multicast with IP_MULTICAST_IF, TTL and loopback on), so a query's
//     source is the querier's unicast socket, where the answers come back,
//     never the shared group port. It reports each datagram's destination
//     and interface too.
//
// A goroutine pinned to the Transport's network namespace rescans the
// interfaces whenever rtnetlink reports a change (or every few seconds
// where it cannot) and joins the group again on an interface that went
// away and came back.
type Transport struct {
	group  netip.AddrPort
	gconn  *net.UDPConn
	gpc    *ipv4.PacketConn
	uconn  *net.UDPConn
	upc    *ipv4.PacketConn
	log    Logger
	rescan time.Duration
	ns     *netnsHandle
	// readSize is the buffer of one datagram (Settings.ReadSize).
	readSize int
	// readBuf is the smaller receive buffer the kernel granted the two
	// sockets; 0 when Settings.ReadBuffer was 0.
	readBuf int

	mu      sync.Mutex // guards ifs and sendIdx, and serializes multicast sends
	ifs     []udpIface
	sendIdx int // interface index set with IP_MULTICAST_IF, 0 for none

	stop      chan struct{}
	wg        sync.WaitGroup
	closeOnce sync.Once
}

// udpIface is one interface the transport uses.
type udpIface struct {
	Interface
	ifi *net.Interface // as last scanned
}

// Open opens the sockets, on the calling thread (so in its network
// namespace, which the Transport keeps using for its interface scans), and
// joins the group. Nothing is received before Start. Close it when done.
func Open(s Settings) (_ *Transport, err error) {
	t := &Transport{
		group:    netip.AddrPortFrom(s.Group, s.Port),
		log:      s.Log,
		rescan:   s.Rescan,
		readSize: s.ReadSize,
		stop:     make(chan struct{}),
	}
	if t.log == nil {
		t.log = discard{}
	}
	if t.rescan <= 0 {
		t.rescan = DefaultRescan
	}
	if t.readSize <= 0 {
		t.readSize = 1 << 16 // any UDP datagram
	}
	if t.ns, err = currentNetns(); err != nil {
		return nil, err
	}
	g := t.log
	defer func() {
		if err != nil {
			t.closeSockets()
			t.ns.close()
		}
	}()
	ifis, err := pickInterfaces(s)
	if err != nil {
		return nil, err
	}

	lc := net.ListenConfig{Control: controlGroup}
	bind := groupBindAddr(s.Group, s.Port)
	pc, err := lc.ListenPacket(context.Background(), "udp4", bind.String())
	if err != nil {
		hint := ""
		if errors.Is(err, syscall.EADDRINUSE) {
			hint = " (a socket of another user, or one without SO_REUSEPORT, holds the port; choose another port)"
		}
		return nil, fmt.Errorf("cannot bind the group socket to %s%s: %w", bind, hint, err)
	}
	t.gconn = pc.(*net.UDPConn)
	t.gpc = ipv4.NewPacketConn(t.gconn)
	if err := t.gpc.SetControlMessage(ipv4.FlagDst|ipv4.FlagInterface, true); err != nil {
		return nil, fmt.Errorf("cannot ask for packet info on the group socket: %w", err)
	}
	if err := t.setReadBuffer(t.gconn, s.ReadBuffer); err != nil {
		return nil, fmt.Errorf("cannot set the receive buffer of the group socket: %w", err)
	}
	grp := &net.UDPAddr{IP: s.Group.AsSlice()}
	var joined []string
	for _, ifi := range ifis {
		u := udpIface{Interface: Interface{Name: ifi.Name, Index: ifi.Index, Addr: ifaceAddr(ifi)}, ifi: ifi}
		if ifi.Flags&net.FlagMulticast == 0 {
			g.Printf(LevelWarn, "interface %s lacks the MULTICAST flag, multicast may not work there; check with: ip link show %s (fix: ip link set %s multicast on)", ifi.Name, ifi.Name, ifi.Name)
		}
		if err := t.gpc.JoinGroup(ifi, grp); err != nil {
			if ifi.Flags&net.FlagUp != 0 {
				return nil, fmt.Errorf("cannot join %s on %s: %w", s.Group, ifi.Name, err)
			}
			g.Printf(LevelWarn, "interface %s is down; will join %s there once it is up", ifi.Name, s.Group)
		} else {
			u.Up = true
			joined = append(joined, ifi.Name)
		}
		t.ifs = append(t.ifs, u)
	}
	if len(joined) == 0 {
		return nil, fmt.Errorf("cannot join %s: no interface is up (%s)", s.Group, strings.Join(t.names(), ", "))
	}
	if s.receiveOnly {
		g.Printf(LevelDebug, "joined %s on %s; receiving only", t.group, strings.Join(joined, ", "))
		return t, nil
	}

	lc = net.ListenConfig{Control: controlUnicast}
	uaddr := netip.AddrPortFrom(s.IfAddr, 0)
	if pc, err = lc.ListenPacket(context.Background(), "udp4", uaddr.String()); err != nil {
		return nil, fmt.Errorf("cannot bind the unicast socket to %s (if_addr): %w", uaddr, err)
	}
	t.uconn = pc.(*net.UDPConn)
	t.upc = ipv4.NewPacketConn(t.uconn)
	if err := t.upc.SetControlMessage(ipv4.FlagDst|ipv4.FlagInterface, true); err != nil {
		return nil, fmt.Errorf("cannot ask for packet info on the unicast socket: %w", err)
	}
	if err := t.setReadBuffer(t.uconn, s.ReadBuffer); err != nil {
		return nil, fmt.Errorf("cannot set the receive buffer of the unicast socket: %w", err)
	}
	if err := t.upc.SetMulticastTTL(s.TTL); err != nil {
		return nil, fmt.Errorf("cannot set the multicast TTL to %d: %w", s.TTL, err)
	}
	if err := t.upc.SetMulticastLoopback(true); err != nil {
		return nil, fmt.Errorf("cannot turn multicast loopback on: %w", err)
	}
	t.mu.Lock()
	err = t.setSendIface(t.ifs[0])
	t.mu.Unlock()
	if err != nil && t.ifs[0].Up {
		return nil, fmt.Errorf("cannot send multicast on %s: %w", t.ifs[0].Name, err)
	}
	g.Printf(LevelDebug, "joined %s on %s; sending from %s", t.group, strings.Join(joined, ", "), t.uconn.LocalAddr())
	return t, nil
}

// pickInterfaces returns the interfaces to use: the configured ones, or the
// one that has if_addr, or the one the kernel routes the group to.
func pickInterfaces(s Settings) ([]*net.Interface, error) {
	all, err := net.Interfaces()
	if err != nil {
		return nil, fmt.Errorf("cannot list the network interfaces: %w", err)
	}
	names := func() string {
		var n []string
		for _, ifi := range all {
			n = append(n, ifi.Name)
		}
		return strings.Join(n, ", ")
	}
	if len(s.Interfaces) > 0 {
		var out []*net.Interface
		for _, name := range s.Interfaces {
			i := slices.IndexFunc(all, func(ifi net.Interface) bool { return ifi.Name == name })
			if i < 0 {
				return nil, fmt.Errorf("%q: %w; this host has %s", name, ErrUnknownInterface, names())
			}
			out = append(out, &all[i])
		}
		return out, nil
	}
	if s.IfAddr.IsUnspecified() {
		idx, err := routeInterface(s.Group)
		if err != nil {
			return nil, fmt.Errorf("%w %s (%w)", ErrNoRoute, s.Group, err)
		}
		i := slices.IndexFunc(all, func(ifi net.Interface) bool { return ifi.Index == idx })
		if i < 0 {
			return nil, fmt.Errorf("cannot find interface %d, which the kernel routes the group %s to", idx, s.Group)
		}
		return []*net.Interface{&all[i]}, nil
	}
	for i := range all {
		addrs, err := all[i].Addrs()
		if err != nil {
			continue
		}
		for _, a := range addrs {
			if p, ok := a.(*net.IPNet); ok {
				if ip, ok := netip.AddrFromSlice(p.IP); ok && ip.Unmap() == s.IfAddr {
					return []*net.Interface{&all[i]}, nil
				}
			}
		}
	}
	return nil, fmt.Errorf("%q: %w (interfaces: %s)", s.IfAddr, ErrAddrNotLocal, names())
}

// ifaceAddr returns the first IPv4 address of ifi, the one the kernel
// sends multicast from (its primary address), or the invalid Addr.
func ifaceAddr(ifi *net.Interface) netip.Addr {
	addrs, err := ifi.Addrs()
	if err != nil {
		return netip.Addr{}
	}
	for _, a := range addrs {
		if p, ok := a.(*net.IPNet); ok {
			if ip, ok := netip.AddrFromSlice(p.IP); ok && ip.Unmap().Is4() {
				return ip.Unmap()
			}
		}
	}
	return netip.Addr{}
}

// setReadBuffer asks for a receive buffer of size bytes on c (nothing for
// 0) and keeps the smallest size granted in t.readBuf.
func (t *Transport) setReadBuffer(c *net.UDPConn, size int) error {
	if size <= 0 {
		return nil
	}
	rc, err := c.SyscallConn()
	if err != nil {
		return err
	}
	got, err := setReadBuffer(rc, size)
	if err != nil {
		return err
	}
	if t.readBuf == 0 || got < t.readBuf {
		t.readBuf = got
	}
	return nil
}

// ReadBuffer returns the receive buffer the kernel granted each socket, in
// bytes (the smaller of the two), and 0 when Settings.ReadBuffer was 0. It
// is less than Settings.ReadBuffer when the kernel capped it.
func (t *Transport) ReadBuffer() int { return t.readBuf }

// LocalPort returns the port of the unicast socket: the source port of
// everything the Transport sends, and where unicast datagrams reach it.
func (t *Transport) LocalPort() uint16 { return t.uconn.LocalAddr().(*net.UDPAddr).AddrPort().Port() }

// setSendIface points IP_MULTICAST_IF at u. t.mu must be held.
func (t *Transport) setSendIface(u udpIface) error {
	if t.sendIdx == u.Index {
		return nil
	}
	if err := t.upc.SetMulticastInterface(u.ifi); err != nil {
		t.sendIdx = 0
		return err
	}
	t.sendIdx = u.Index
	return nil
}

// Start begins delivering received datagrams to h, and calls rejoined
// (from another goroutine) after the group was joined again on an
// interface that had gone. Call it once.
func (t *Transport) Start(h Handler, rejoined func(iface string)) {
	t.wg.Add(2)
	go t.readLoop(t.gconn, t.gpc, true, h)
	if t.upc != nil { // not receive-only
		t.wg.Add(1)
		go t.readLoop(t.uconn, t.upc, false, h)
	}
	go t.scanLoop(rejoined)
}

// readLoop reads datagrams in batches until the socket is closed.
func (t *Transport) readLoop(c *net.UDPConn, pc *ipv4.PacketConn, group bool, h Handler) {
	defer t.wg.Done()
	r, err := newBatchReader(c, pc, t.readSize)
	if err != nil {
		t.log.Printf(LevelWarn, "cannot read from the %s socket: %v", sockName(group), err)
		return
	}
	var (
		p       Packet
		backoff *time.Timer
	)
	for {
		n, err := r.read()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			t.log.Limited(LimitRead, LevelWarn, "reading from the %s socket: %v", sockName(group), err)
			// Do not spin on a persistent error.
			if backoff == nil {
				backoff = time.NewTimer(10 * time.Millisecond)
			} else {
				backoff.Reset(10 * time.Millisecond)
			}
			select {
			case <-t.stop:
				return
			case <-backoff.C:
			}
			continue
		}
		for i := range n {
			p = Packet{Group: group}
			r.fill(i, &p)
			h(&p)
		}
	}
}

func sockName(group bool) string {
	if group {
		return "group"
	}
	return "unicast"
}

// scanLoop rescans the interfaces, in the network namespace the transport
// was created in, on every change rtnetlink reports (and every
// watchedRescan), or else every t.rescan, until close.
func (t *Transport) scanLoop(rejoined func(string)) {
	defer t.wg.Done()
	runtime.LockOSThread()
	switched, err := t.ns.enter()
	if !switched {
		// The thread is in its original namespace: give it back.
		defer runtime.UnlockOSThread()
	}
	// A switched thread stays locked: it ends with this goroutine.
	if err != nil {
		t.log.Printf(LevelWarn, "cannot follow interface changes, the group will not be joined again if an interface comes back: %v", err)
		<-t.stop
		return
	}
	// Rescan when rtnetlink says a link or an address changed, and poll
	// only as a safety net, so that an idle engine is not woken up for
	// nothing; without the events, poll every t.rescan.
	period := t.rescan
	changed := make(chan struct{}, 1)
	var broken chan struct{}
	if w, err := newLinkWatch(); err != nil {
		t.log.Printf(LevelDebug, "%v; polling the interfaces every %v instead", err, period)
	} else {
		defer w.close()
		period = max(period, watchedRescan)
		broken = make(chan struct{})
		t.wg.Add(1)
		go func() {
			defer t.wg.Done()
			defer close(broken)
			for w.wait() == nil {
				select {
				case changed <- struct{}{}:
				default:
				}
			}
		}()
	}
	tk := time.NewTicker(period)
	defer tk.Stop()
	for {
		select {
		case <-t.stop:
			return
		case <-tk.C:
		case <-changed:
		case <-broken:
			t.log.Printf(LevelDebug, "the interface watch stopped; polling the interfaces every %v instead", t.rescan)
			broken = nil
			tk.Reset(t.rescan)
		}
		t.scan(rejoined)
	}
}

// scan compares the interfaces with the last scan and joins the group
// again on an interface that is back (up again, or a new one of the same
// name).
func (t *Transport) scan(rejoined func(string)) {
	all, err := net.Interfaces()
	if err != nil {
		t.log.Limited(LimitIface, LevelWarn, "listing the network interfaces: %v", err)
		return
	}
	grp := &net.UDPAddr{IP: t.group.Addr().AsSlice()}
	var back, gone []string
	t.mu.Lock()
	for i := range t.ifs {
		u := &t.ifs[i]
		j := slices.IndexFunc(all, func(ifi net.Interface) bool { return ifi.Name == u.Name })
		up := j >= 0 && all[j].Flags&net.FlagUp != 0
		if j >= 0 {
			u.Addr = ifaceAddr(&all[j])
		} else {
			u.Addr = netip.Addr{}
		}
		switch {
		case !up && u.Up:
			u.Up = false
			gone = append(gone, u.Name)
		case up && (!u.Up || all[j].Index != u.Index):
			cur := &all[j]
			if u.Index != 0 && cur.Index != u.Index {
				// The old interface is gone: drop its membership from the
				// socket's list (it counts against igmp_max_memberships).
				if err := t.gpc.LeaveGroup(&net.Interface{Index: u.Index, Name: u.Name}, grp); err != nil {
					t.log.Printf(LevelDebug, "leaving %s on the old %s (index %d): %v", t.group.Addr(), u.Name, u.Index, err)
				}
			}
			if err := t.gpc.JoinGroup(cur, grp); err != nil && !errors.Is(err, syscall.EADDRINUSE) {
				t.log.Limited(LimitIface, LevelWarn, "cannot join %s on %s again: %v", t.group.Addr(), u.Name, err)
				continue
			}
			u.Index, u.ifi, u.Up = cur.Index, cur, true
			t.sendIdx = 0 // set IP_MULTICAST_IF again on the next send
			back = append(back, u.Name)
		}
	}
	t.mu.Unlock()
	for _, name := range gone {
		t.log.Printf(LevelWarn, "interface %s is gone or down; will join %s again when it is back", name, t.group.Addr())
	}
	for _, name := range back {
		t.log.Printf(LevelInfo, "joined %s on %s again", t.group.Addr(), name)
		if rejoined != nil {
			rejoined(name)
		}
	}
}

// Multicast sends b to the group on every interface that is up, from the
// unicast socket; with none up it returns ErrNoInterfaceUp.
func (t *Transport) Multicast(b []byte) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	var errs []error
	sent := false
	for _, u := range t.ifs {
		if !u.Up {
			continue
		}
		if err := t.setSendIface(u); err != nil {
			errs = append(errs, fmt.Errorf("on %s: %w", u.Name, err))
			continue
		}
		if _, err := t.uconn.WriteToUDPAddrPort(b, t.group); err != nil {
			errs = append(errs, fmt.Errorf("on %s: %w", u.Name, err))
			continue
		}
		sent = true
	}
	if !sent && len(errs) == 0 {
		return ErrNoInterfaceUp
	}
	return errors.Join(errs...)
}

// MulticastOn sends b to the group on the interface of the given index,
// from the unicast socket; ErrNoInterfaceUp when that interface is not one
// of the Transport's or is not up.
func (t *Transport) MulticastOn(b []byte, index int) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	i := slices.IndexFunc(t.ifs, func(u udpIface) bool { return u.Index == index && u.Up })
	if i < 0 {
		return ErrNoInterfaceUp
	}
	if err := t.setSendIface(t.ifs[i]); err != nil {
		return fmt.Errorf("on %s: %w", t.ifs[i].Name, err)
	}
	if _, err := t.uconn.WriteToUDPAddrPort(b, t.group); err != nil {
		return fmt.Errorf("on %s: %w", t.ifs[i].Name, err)
	}
	return nil
}

// Unicast sends b to dst from the unicast socket.
func (t *Transport) Unicast(b []byte, dst netip.AddrPort) error {
	_, err := t.uconn.WriteToUDPAddrPort(b, dst)
	return err
}

// Interfaces returns the interfaces in use, as of the last scan.
func (t *Transport) Interfaces() []Interface {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make([]Interface, len(t.ifs))
	for i, u := range t.ifs {
		out[i] = u.Interface
	}
	return out
}

// names returns the interface names; t.mu need not be held during setup.
func (t *Transport) names() []string {
	var n []string
	for _, u := range t.ifs {
		n = append(n, u.Name)
	}
	return n
}

func (t *Transport) closeSockets() {
	if t.gconn != nil {
		t.gconn.Close()
	}
	if t.uconn != nil {
		t.uconn.Close()
	}
}

// Close stops delivery and returns once every goroutine of the Transport
// has ended.
func (t *Transport) Close() error {
	t.closeOnce.Do(func() {
		close(t.stop)
		t.closeSockets()
		t.wg.Wait()
		t.ns.close()
	})
	return nil
}
