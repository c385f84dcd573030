package mcast

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// Settings are what Open needs; the caller has checked them (a multicast
// Group of either family, or with Broadcast an IPv4 one; an IfAddr of the
// Group's family or unspecified; a TTL from 0 to 255).
type Settings struct {
	// Group and Port are the multicast group: an IPv4 or an IPv6 group.
	// With Broadcast, Group is the limited broadcast address
	// 255.255.255.255, or the invalid Addr for the broadcast address of
	// each interface.
	Group netip.Addr
	Port  uint16
	// Broadcast sends to a broadcast address (SO_BROADCAST) instead of a
	// group, and receives every broadcast to Port; IPv4 only. Nothing is
	// joined, and TTL does not apply: a router never forwards a
	// broadcast.
	Broadcast bool
	// IfAddr is the local address the unicast socket binds to, the
	// unspecified (or invalid) address for any; without Interfaces, the
	// interface that has it is used.
	IfAddr netip.Addr
	// TTL is the multicast TTL, or for an IPv6 group the hop limit.
	TTL int
	// Interfaces are the names of the interfaces to join the group on and
	// send on; none: the one that has IfAddr, or else the one the kernel
	// routes the group to (with Broadcast: the only one that is up and
	// can broadcast).
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

// LimitedBroadcast is 255.255.255.255, the broadcast address of whatever
// link a datagram leaves on.
var LimitedBroadcast = netip.AddrFrom4([4]byte{255, 255, 255, 255})

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
	// ErrChooseInterface: with Broadcast and without Interfaces or IfAddr,
	// no interface, or more than one, is up with an IPv4 address and the
	// BROADCAST flag. The error names them.
	ErrChooseInterface = errors.New("cannot choose the interface to broadcast on")
)

// ErrNoInterfaceUp is the error of MulticastOn when its interface is not up
// (or not the Transport's).
var ErrNoInterfaceUp = errors.New("no interface is up")

// Packet is one received datagram.
type Packet struct {
	// Data is the datagram; it is valid only during the Handler call.
	Data []byte
	// Src is the UDP source; an IPv6 link-local one carries the index of
	// the interface it came in on as its zone.
	Src netip.AddrPort
	// Dst is the destination address (IP_PKTINFO, IPV6_PKTINFO): on the
	// group socket the group (the receiver should drop a group datagram
	// whose Dst is not its group, or unknown), on the unicast socket the
	// local address the sender used. With Broadcast, a datagram on the
	// group socket to 255.255.255.255 or to the broadcast address of the
	// interface it came in on has the Dst 255.255.255.255; any other
	// keeps its own. The zero Addr when unknown.
	Dst netip.Addr
	// IfIndex is the interface the datagram came in on, 0 when unknown.
	IfIndex int
	// Group tells that it came in on the group socket (multicast or
	// broadcast), not on the unicast socket.
	Group bool
}

// Handler is called for every datagram received, from the Transport's
// reader goroutines (possibly concurrently).
type Handler func(p *Packet)

// Interface describes an interface a Transport uses.
type Interface struct {
	Name  string
	Index int
	Up    bool // present and up at the last scan (and, multicast, joined)
	// Addr is the interface's address of the Transport's family at the
	// last scan, invalid when it has none. IPv4: its first address, the
	// one the kernel sends multicast from. IPv6: a global or unique-local
	// address, else its link-local one (without zone); never a tentative
	// one.
	Addr netip.Addr
	// Broadcast is the broadcast address of Addr (IPv4), invalid for none.
	Broadcast netip.Addr
	// Pending tells (IPv6) that the interface has addresses but all are
	// tentative: duplicate address detection is still running.
	Pending bool
}

// groupBindAddr is the address the group socket binds to: the wildcard
// address of the group's family and the port. Go's net package binds a
// socket given a multicast address to the wildcard address anyway; the
// receiver checks each datagram's destination (Packet.Dst) against its
// group, and IP_MULTICAST_ALL (IPV6_MULTICAST_ALL) off keeps the groups
// other sockets joined away. Binding an IPv6 group of link-local scope
// would also need a scope id, tying the socket to one interface; a
// broadcast socket must take broadcasts to the port on every interface,
// limited and directed alike.
func groupBindAddr(group netip.Addr, port uint16) netip.AddrPort {
	if group.Is6() {
		return netip.AddrPortFrom(netip.IPv6Unspecified(), port)
	}
	return netip.AddrPortFrom(netip.IPv4Unspecified(), port)
}

// readBatch is how many datagrams one recvmmsg (batchReader.read) takes: a
// flood is read with one system call per 32 datagrams, for 32 buffers
// (about 40 KiB with 1233-byte buffers) per socket.
const readBatch = 32

// Transport moves datagrams over two UDP sockets of one address family.
//
//   - The group socket is bound to the wildcard address and the port
//     (groupBindAddr), with SO_REUSEADDR (see controlGroup) and
//     IP_MULTICAST_ALL (IPV6_MULTICAST_ALL) off, and joined to the group
//     on every interface; it reports each datagram's destination (for the
//     receiver to check against the group) and interface. With Broadcast
//     it joins nothing and gets every broadcast to the port.
//   - The unicast socket is bound to IfAddr:0. Every datagram goes out from
//     it (multicast with IP_MULTICAST_IF or IPV6_MULTICAST_IF, TTL or hop
//     limit, and loopback on; broadcast with SO_BROADCAST, out of the
//     interface a control message names), so a query's source is the
//     querier's unicast socket, where the answers come back, never the
//     shared group port. It reports each datagram's destination and
//     interface too.
//
// Multicast loopback stays on for both families: several engines on one
// host (a node and a lookup, or a benchmark's many) hear each other only
// through it, and an engine's own multicast coming back is how it knows
// that multicast works at all. The receiver drops its own datagrams by
// their sealed instance id.
//
// A goroutine pinned to the Transport's network namespace rescans the
// interfaces whenever rtnetlink reports a change of a link or an address
// (or every few seconds where it cannot), joins the group again on an
// interface that went away and came back, and notices an interface that
// gets an address of the family again (IPv6: after DAD, or after it was
// down and lost its addresses).
type Transport struct {
	v6     bool       // the family: IPv6
	bcast  bool       // Settings.Broadcast
	group  netip.Addr // Settings.Group
	port   uint16
	gconn  *net.UDPConn
	gpc    pconn
	uconn  *net.UDPConn
	upc    pconn
	log    Logger
	rescan time.Duration
	ns     *netnsHandle
	// readSize is the buffer of one datagram (Settings.ReadSize).
	readSize int
	// readBuf is the smaller receive buffer the kernel granted the two
	// sockets; 0 when Settings.ReadBuffer was 0.
	readBuf int
	// bcastOf maps an interface index to its broadcast address (with
	// Broadcast), for the readers, which must not take mu.
	bcastOf atomic.Pointer[map[int]netip.Addr]

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

// network returns "udp4" or "udp6".
func (t *Transport) network() string {
	if t.v6 {
		return "udp6"
	}
	return "udp4"
}

// target returns what the Transport sends to, for messages: the group,
// or "broadcast".
func (t *Transport) target() string {
	switch {
	case !t.bcast:
		return t.group.String()
	case t.group.IsValid():
		return "broadcast " + t.group.String()
	}
	return "broadcast"
}

// Open opens the sockets, on the calling thread (so in its network
// namespace, which the Transport keeps using for its interface scans), and
// joins the group. Nothing is received before Start. Close it when done.
func Open(s Settings) (_ *Transport, err error) {
	t := &Transport{
		v6:       s.Group.Is6(),
		bcast:    s.Broadcast,
		group:    s.Group,
		port:     s.Port,
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
	pc, err := lc.ListenPacket(context.Background(), t.network(), bind.String())
	if err != nil {
		hint := ""
		if errors.Is(err, syscall.EADDRINUSE) {
			hint = " (a socket without SO_REUSEADDR holds the port; choose another port)"
		}
		return nil, fmt.Errorf("cannot bind the group socket to %s%s: %w", bind, hint, err)
	}
	t.gconn = pc.(*net.UDPConn)
	t.gpc = newPconn(t.gconn, t.v6)
	if err := t.gpc.askPacketInfo(); err != nil {
		return nil, fmt.Errorf("cannot ask for packet info on the group socket: %w", err)
	}
	if err := t.setReadBuffer(t.gconn, s.ReadBuffer); err != nil {
		return nil, fmt.Errorf("cannot set the receive buffer of the group socket: %w", err)
	}
	all, _ := net.Interfaces()
	addrs := allAddrs(all)
	var joined []string
	for _, ifi := range ifis {
		a := addrs[ifi.Index]
		u := udpIface{Interface: Interface{Name: ifi.Name, Index: ifi.Index}, ifi: ifi}
		u.setAddrs(a, t.v6)
		switch {
		case t.bcast:
			if ifi.Flags&net.FlagBroadcast == 0 {
				g.Printf(LevelWarn, "interface %s lacks the BROADCAST flag, broadcast may not work there; check with: ip link show %s", ifi.Name, ifi.Name)
			}
			if ifi.Flags&net.FlagUp == 0 {
				g.Printf(LevelWarn, "interface %s is down; will broadcast there once it is up", ifi.Name)
				break
			}
			u.Up = true
			joined = append(joined, ifi.Name)
		default:
			if ifi.Flags&net.FlagMulticast == 0 {
				g.Printf(LevelWarn, "interface %s lacks the MULTICAST flag, multicast may not work there; check with: ip link show %s (fix: ip link set %s multicast on)", ifi.Name, ifi.Name, ifi.Name)
			}
			if err := t.gpc.join(ifi, s.Group); err != nil {
				if ifi.Flags&net.FlagUp != 0 {
					return nil, fmt.Errorf("cannot join %s on %s: %w", s.Group, ifi.Name, err)
				}
				g.Printf(LevelWarn, "interface %s is down; will join %s there once it is up", ifi.Name, s.Group)
				break
			}
			u.Up = true
			joined = append(joined, ifi.Name)
		}
		t.ifs = append(t.ifs, u)
	}
	t.publishBroadcasts()
	if len(joined) == 0 {
		return nil, fmt.Errorf("cannot use %s: no interface is up (%s)", t.target(), strings.Join(t.names(), ", "))
	}
	if s.receiveOnly {
		g.Printf(LevelDebug, "joined %s on %s; receiving only", netip.AddrPortFrom(t.group, t.port), strings.Join(joined, ", "))
		return t, nil
	}

	lc = net.ListenConfig{Control: controlUnicast}
	ifAddr := s.IfAddr
	if !ifAddr.IsValid() || ifAddr.IsUnspecified() {
		ifAddr = netip.IPv4Unspecified()
		if t.v6 {
			ifAddr = netip.IPv6Unspecified()
		}
	}
	uaddr := netip.AddrPortFrom(ifAddr, 0)
	if pc, err = lc.ListenPacket(context.Background(), t.network(), uaddr.String()); err != nil {
		return nil, fmt.Errorf("cannot bind the unicast socket to %s (if_addr): %w", uaddr, err)
	}
	t.uconn = pc.(*net.UDPConn)
	t.upc = newPconn(t.uconn, t.v6)
	if err := t.upc.askPacketInfo(); err != nil {
		return nil, fmt.Errorf("cannot ask for packet info on the unicast socket: %w", err)
	}
	if err := t.setReadBuffer(t.uconn, s.ReadBuffer); err != nil {
		return nil, fmt.Errorf("cannot set the receive buffer of the unicast socket: %w", err)
	}
	if t.bcast {
		rc, err := t.uconn.SyscallConn()
		if err == nil {
			err = setBroadcast(rc)
		}
		if err != nil {
			return nil, fmt.Errorf("cannot turn SO_BROADCAST on: %w", err)
		}
		g.Printf(LevelDebug, "broadcasting to port %d on %s; sending from %s", t.port, strings.Join(joined, ", "), t.uconn.LocalAddr())
		return t, nil
	}
	if err := t.upc.setHops(s.TTL); err != nil {
		return nil, fmt.Errorf("cannot set the multicast TTL (hop limit) to %d: %w", s.TTL, err)
	}
	if err := t.upc.setLoopback(true); err != nil {
		return nil, fmt.Errorf("cannot turn multicast loopback on: %w", err)
	}
	t.mu.Lock()
	err = t.setSendIface(t.ifs[0])
	t.mu.Unlock()
	if err != nil && t.ifs[0].Up {
		return nil, fmt.Errorf("cannot send multicast on %s: %w", t.ifs[0].Name, err)
	}
	g.Printf(LevelDebug, "joined %s on %s; sending from %s", netip.AddrPortFrom(t.group, t.port), strings.Join(joined, ", "), t.uconn.LocalAddr())
	return t, nil
}

// setAddrs takes the addresses of the family (IPv6 with v6) from a.
func (u *udpIface) setAddrs(a ifAddrs, v6 bool) {
	if v6 {
		u.Addr, u.Broadcast, u.Pending = a.v6, netip.Addr{}, a.v6Pending
		return
	}
	u.Addr, u.Broadcast, u.Pending = a.v4, a.bcast, false
}

// publishBroadcasts hands the interfaces' broadcast addresses to the
// readers. t.mu must be held, or the Transport not started yet.
func (t *Transport) publishBroadcasts() {
	if !t.bcast {
		return
	}
	m := make(map[int]netip.Addr, len(t.ifs))
	for _, u := range t.ifs {
		if u.Broadcast.IsValid() {
			m[u.Index] = u.Broadcast
		}
	}
	t.bcastOf.Store(&m)
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

// setSendIface points IP_MULTICAST_IF (IPV6_MULTICAST_IF) at u. t.mu must
// be held.
func (t *Transport) setSendIface(u udpIface) error {
	if t.sendIdx == u.Index {
		return nil
	}
	if err := t.upc.setMulticastIface(u.ifi); err != nil {
		t.sendIdx = 0
		return err
	}
	t.sendIdx = u.Index
	return nil
}

// Start begins delivering received datagrams to h, and calls rejoined
// (from another goroutine) after the group was joined again on an
// interface that had gone, or an interface got a new address of the
// family. Call it once.
func (t *Transport) Start(h Handler, rejoined func(iface string)) {
	t.wg.Add(2)
	go t.readLoop(t.gconn, t.gpc, true, h)
	if t.upc != nil { // not receive-only
		t.wg.Add(1)
		go t.readLoop(t.uconn, t.upc, false, h)
	}
	go t.scanLoop(rejoined)
}

// MulticastOn sends b to the group (or broadcast) on the interface of the
// given index, from the unicast socket; ErrNoInterfaceUp when that
// interface is not one of the Transport's or is not up.
func (t *Transport) MulticastOn(b []byte, index int) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, u := range t.ifs {
		if u.Index == index && u.Up {
			return t.sendOn(b, u)
		}
	}
	return ErrNoInterfaceUp
}

// sendOn sends b to the group, or the broadcast address, on u. t.mu is
// held.
func (t *Transport) sendOn(b []byte, u udpIface) error {
	if t.bcast {
		dst := t.group
		if !dst.IsValid() {
			if dst = u.Broadcast; !dst.IsValid() {
				return fmt.Errorf("on %s: the interface has no IPv4 broadcast address (an address with a prefix of /30 or shorter)", u.Name)
			}
		}
		if err := t.upc.writeVia(b, u.Index, netip.Addr{}, netip.AddrPortFrom(dst, t.port)); err != nil {
			return fmt.Errorf("on %s: %w", u.Name, err)
		}
		return nil
	}
	if t.v6 && u.Addr.IsValid() && !t.boundAddr() {
		// From the address the receivers get as this host's (the one
		// the datagram is sealed with), not the link-local one the
		// kernel would pick for a group of link-local scope.
		if err := t.upc.writeVia(b, u.Index, u.Addr, netip.AddrPortFrom(t.group, t.port)); err != nil {
			return fmt.Errorf("on %s: %w", u.Name, err)
		}
		return nil
	}
	if err := t.setSendIface(u); err != nil {
		return fmt.Errorf("on %s: %w", u.Name, err)
	}
	if _, err := t.uconn.WriteToUDPAddrPort(b, netip.AddrPortFrom(t.group, t.port)); err != nil {
		return fmt.Errorf("on %s: %w", u.Name, err)
	}
	return nil
}

// boundAddr reports whether the unicast socket is bound to an address
// (if_addr), which is then the source of everything it sends.
func (t *Transport) boundAddr() bool {
	return !t.uconn.LocalAddr().(*net.UDPAddr).AddrPort().Addr().IsUnspecified()
}

// Unicast sends b to dst from the unicast socket. An IPv6 link-local dst
// needs its zone (the interface index, or name).
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
