package mcgossip

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

	"github.com/mcgossip/go-discover-mcgossip/provider/mcgossip/wire"
)

// readBatch is how many datagrams one ReadBatch (recvmmsg) call takes.
const readBatch = 8

// udpTransport is the real transport: two IPv4 UDP sockets.
//
//   - The group socket is bound to group:port (on Linux) with SO_REUSEADDR
//     and SO_REUSEPORT, IP_MULTICAST_ALL off, joined to the group on every
//     interface; it reports each datagram's destination, checked against the
//     group, and interface.
//   - The unicast socket is bound to if_addr:0. Every datagram goes out from
//     it (multicast with IP_MULTICAST_IF, TTL and loopback on), so a query's
//     source is the querier's unicast socket, where the answers come back,
//     never the shared group port.
//
// A goroutine pinned to the engine's network namespace rescans the
// interfaces whenever rtnetlink reports a change (or every few seconds
// where it cannot) and joins the group again on an interface that went
// away and came back.
type udpTransport struct {
	group  netip.AddrPort
	gconn  *net.UDPConn
	gpc    *ipv4.PacketConn
	uconn  *net.UDPConn
	upc    *ipv4.PacketConn
	log    *logs
	rescan time.Duration
	ns     *netnsHandle

	mu      sync.Mutex // guards ifs and sendIdx, and serializes multicast sends
	ifs     []udpIface
	sendIdx int // interface index set with IP_MULTICAST_IF, 0 for none

	stop      chan struct{}
	wg        sync.WaitGroup
	closeOnce sync.Once
}

// udpIface is one interface the transport uses.
type udpIface struct {
	ifaceInfo
	ifi *net.Interface // as last scanned
}

// newUDPTransport opens the sockets, on the calling thread (so in its
// network namespace), and joins the group.
func newUDPTransport(cfg *Config, g *logs) (_ *udpTransport, err error) {
	t := &udpTransport{
		group:  netip.AddrPortFrom(cfg.MulticastAddr, uint16(cfg.Port)),
		log:    g,
		rescan: cfg.rescan,
		stop:   make(chan struct{}),
	}
	if t.rescan <= 0 {
		t.rescan = defaultRescan
	}
	if t.ns, err = currentNetns(); err != nil {
		return nil, fmt.Errorf("discover-mcgossip: %w", err)
	}
	defer func() {
		if err != nil {
			t.closeSockets()
			t.ns.close()
		}
	}()
	ifis, err := pickInterfaces(cfg)
	if err != nil {
		return nil, err
	}

	lc := net.ListenConfig{Control: controlGroup}
	bind := groupBindAddr(cfg.MulticastAddr, cfg.Port)
	pc, err := lc.ListenPacket(context.Background(), "udp4", bind.String())
	if err != nil {
		hint := ""
		if errors.Is(err, syscall.EADDRINUSE) {
			hint = " (a socket of another user, or one without SO_REUSEPORT, holds the port; choose another port)"
		}
		return nil, fmt.Errorf("discover-mcgossip: cannot bind the group socket to %s%s: %w", bind, hint, err)
	}
	t.gconn = pc.(*net.UDPConn)
	t.gpc = ipv4.NewPacketConn(t.gconn)
	if err := t.gpc.SetControlMessage(ipv4.FlagDst|ipv4.FlagInterface, true); err != nil {
		return nil, fmt.Errorf("discover-mcgossip: cannot ask for packet info on the group socket: %w", err)
	}
	grp := &net.UDPAddr{IP: cfg.MulticastAddr.AsSlice()}
	var joined []string
	for _, ifi := range ifis {
		u := udpIface{ifaceInfo: ifaceInfo{name: ifi.Name, index: ifi.Index}, ifi: ifi}
		if ifi.Flags&net.FlagMulticast == 0 {
			g.printf(levelWarn, "interface %s lacks the MULTICAST flag, multicast may not work there; check with: ip link show %s (fix: ip link set %s multicast on)", ifi.Name, ifi.Name, ifi.Name)
		}
		if err := t.gpc.JoinGroup(ifi, grp); err != nil {
			if ifi.Flags&net.FlagUp != 0 {
				return nil, fmt.Errorf("discover-mcgossip: cannot join %s on %s: %w", cfg.MulticastAddr, ifi.Name, err)
			}
			g.printf(levelWarn, "interface %s is down; will join %s there once it is up", ifi.Name, cfg.MulticastAddr)
		} else {
			u.up = true
			joined = append(joined, ifi.Name)
		}
		t.ifs = append(t.ifs, u)
	}
	if len(joined) == 0 {
		return nil, fmt.Errorf("discover-mcgossip: cannot join %s: no interface is up (%s)", cfg.MulticastAddr, strings.Join(t.names(), ", "))
	}

	lc = net.ListenConfig{Control: controlUnicast}
	uaddr := netip.AddrPortFrom(cfg.IfAddr, 0)
	if pc, err = lc.ListenPacket(context.Background(), "udp4", uaddr.String()); err != nil {
		return nil, fmt.Errorf("discover-mcgossip: cannot bind the unicast socket to %s (if_addr): %w", uaddr, err)
	}
	t.uconn = pc.(*net.UDPConn)
	t.upc = ipv4.NewPacketConn(t.uconn)
	if err := t.upc.SetMulticastTTL(cfg.TTL); err != nil {
		return nil, fmt.Errorf("discover-mcgossip: cannot set the multicast TTL to %d: %w", cfg.TTL, err)
	}
	if err := t.upc.SetMulticastLoopback(true); err != nil {
		return nil, fmt.Errorf("discover-mcgossip: cannot turn multicast loopback on: %w", err)
	}
	t.mu.Lock()
	err = t.setSendIface(t.ifs[0])
	t.mu.Unlock()
	if err != nil && t.ifs[0].up {
		return nil, fmt.Errorf("discover-mcgossip: cannot send multicast on %s: %w", t.ifs[0].name, err)
	}
	g.printf(levelDebug, "joined %s on %s; sending from %s", t.group, strings.Join(joined, ", "), t.uconn.LocalAddr())
	return t, nil
}

// pickInterfaces returns the interfaces to use: the configured ones, or the
// one that has if_addr, or the one the kernel routes the group to.
func pickInterfaces(cfg *Config) ([]*net.Interface, error) {
	all, err := net.Interfaces()
	if err != nil {
		return nil, fmt.Errorf("discover-mcgossip: cannot list the network interfaces: %w", err)
	}
	names := func() string {
		var n []string
		for _, ifi := range all {
			n = append(n, ifi.Name)
		}
		return strings.Join(n, ", ")
	}
	if len(cfg.Interfaces) > 0 {
		var out []*net.Interface
		for _, name := range cfg.Interfaces {
			i := slices.IndexFunc(all, func(ifi net.Interface) bool { return ifi.Name == name })
			if i < 0 {
				return nil, &ConfigError{err: fmt.Errorf("discover-mcgossip: invalid iface %q: no such interface; this host has %s", name, names())}
			}
			out = append(out, &all[i])
		}
		return out, nil
	}
	if cfg.IfAddr.IsUnspecified() {
		idx, err := routeInterface(cfg.MulticastAddr)
		if err != nil {
			return nil, fmt.Errorf("discover-mcgossip: multicast looks unavailable: the kernel has no route to the group %s (%w); add one for 224.0.0.0/4 (ip route add 224.0.0.0/4 dev eth0) or set iface", cfg.MulticastAddr, err)
		}
		i := slices.IndexFunc(all, func(ifi net.Interface) bool { return ifi.Index == idx })
		if i < 0 {
			return nil, fmt.Errorf("discover-mcgossip: cannot find interface %d, which the kernel routes the group %s to; set iface", idx, cfg.MulticastAddr)
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
				if ip, ok := netip.AddrFromSlice(p.IP); ok && ip.Unmap() == cfg.IfAddr {
					return []*net.Interface{&all[i]}, nil
				}
			}
		}
	}
	return nil, &ConfigError{err: fmt.Errorf("discover-mcgossip: invalid if_addr %q: no interface of this host has this address (interfaces: %s)", cfg.IfAddr, names())}
}

// setSendIface points IP_MULTICAST_IF at u. t.mu must be held.
func (t *udpTransport) setSendIface(u udpIface) error {
	if t.sendIdx == u.index {
		return nil
	}
	if err := t.upc.SetMulticastInterface(u.ifi); err != nil {
		t.sendIdx = 0
		return err
	}
	t.sendIdx = u.index
	return nil
}

func (t *udpTransport) start(h handler, rejoined func(string)) {
	t.wg.Add(3)
	go t.readLoop(t.gpc, true, h)
	go t.readLoop(t.upc, false, h)
	go t.scanLoop(rejoined)
}

// readLoop reads datagrams in batches until the socket is closed.
func (t *udpTransport) readLoop(pc *ipv4.PacketConn, group bool, h handler) {
	defer t.wg.Done()
	ms := make([]ipv4.Message, readBatch)
	for i := range ms {
		ms[i].Buffers = [][]byte{make([]byte, wire.MaxDatagram+1)}
		if group {
			ms[i].OOB = ipv4.NewControlMessage(ipv4.FlagDst | ipv4.FlagInterface)
		}
	}
	var (
		cm      ipv4.ControlMessage
		p       packet
		backoff *time.Timer
	)
	for {
		n, err := pc.ReadBatch(ms, 0)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			t.log.limited(limitRead, levelWarn, "reading from the %s socket: %v", sockName(group), err)
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
		for i := range ms[:n] {
			m := &ms[i]
			p = packet{data: m.Buffers[0][:m.N], group: group}
			if ua, ok := m.Addr.(*net.UDPAddr); ok {
				p.src = ua.AddrPort()
				p.src = netip.AddrPortFrom(p.src.Addr().Unmap(), p.src.Port())
			}
			if group && m.NN > 0 {
				cm = ipv4.ControlMessage{} // Parse does not clear what a datagram lacks
				if err := cm.Parse(m.OOB[:m.NN]); err == nil {
					if a, ok := netip.AddrFromSlice(cm.Dst); ok {
						p.dst = a.Unmap()
					}
					p.ifindex = cm.IfIndex
				}
			}
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
func (t *udpTransport) scanLoop(rejoined func(string)) {
	defer t.wg.Done()
	runtime.LockOSThread()
	switched, err := t.ns.enter()
	if !switched {
		// The thread is in its original namespace: give it back.
		defer runtime.UnlockOSThread()
	}
	// A switched thread stays locked: it ends with this goroutine.
	if err != nil {
		t.log.printf(levelWarn, "cannot follow interface changes, the group will not be joined again if an interface comes back: %v", err)
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
		t.log.printf(levelDebug, "%v; polling the interfaces every %v instead", err, period)
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
			t.log.printf(levelDebug, "the interface watch stopped; polling the interfaces every %v instead", t.rescan)
			broken = nil
			tk.Reset(t.rescan)
		}
		t.scan(rejoined)
	}
}

// scan compares the interfaces with the last scan and joins the group
// again on an interface that is back (up again, or a new one of the same
// name).
func (t *udpTransport) scan(rejoined func(string)) {
	all, err := net.Interfaces()
	if err != nil {
		t.log.limited(limitIface, levelWarn, "listing the network interfaces: %v", err)
		return
	}
	grp := &net.UDPAddr{IP: t.group.Addr().AsSlice()}
	var back, gone []string
	t.mu.Lock()
	for i := range t.ifs {
		u := &t.ifs[i]
		j := slices.IndexFunc(all, func(ifi net.Interface) bool { return ifi.Name == u.name })
		up := j >= 0 && all[j].Flags&net.FlagUp != 0
		switch {
		case !up && u.up:
			u.up = false
			gone = append(gone, u.name)
		case up && (!u.up || all[j].Index != u.index):
			cur := &all[j]
			if u.index != 0 && cur.Index != u.index {
				// The old interface is gone: drop its membership from the
				// socket's list (it counts against igmp_max_memberships).
				if err := t.gpc.LeaveGroup(&net.Interface{Index: u.index, Name: u.name}, grp); err != nil {
					t.log.printf(levelDebug, "leaving %s on the old %s (index %d): %v", t.group.Addr(), u.name, u.index, err)
				}
			}
			if err := t.gpc.JoinGroup(cur, grp); err != nil && !errors.Is(err, syscall.EADDRINUSE) {
				t.log.limited(limitIface, levelWarn, "cannot join %s on %s again: %v", t.group.Addr(), u.name, err)
				continue
			}
			u.index, u.ifi, u.up = cur.Index, cur, true
			t.sendIdx = 0 // set IP_MULTICAST_IF again on the next send
			back = append(back, u.name)
		}
	}
	t.mu.Unlock()
	for _, name := range gone {
		t.log.printf(levelWarn, "interface %s is gone or down; will join %s again when it is back", name, t.group.Addr())
	}
	for _, name := range back {
		t.log.printf(levelInfo, "joined %s on %s again", t.group.Addr(), name)
		if rejoined != nil {
			rejoined(name)
		}
	}
}

var errNoInterface = errors.New("no interface is up")

// multicast sends b to the group on every interface that is up.
func (t *udpTransport) multicast(b []byte) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	var errs []error
	sent := false
	for _, u := range t.ifs {
		if !u.up {
			continue
		}
		if err := t.setSendIface(u); err != nil {
			errs = append(errs, fmt.Errorf("on %s: %w", u.name, err))
			continue
		}
		if _, err := t.uconn.WriteToUDPAddrPort(b, t.group); err != nil {
			errs = append(errs, fmt.Errorf("on %s: %w", u.name, err))
			continue
		}
		sent = true
	}
	if !sent && len(errs) == 0 {
		return errNoInterface
	}
	return errors.Join(errs...)
}

// unicast sends b to dst.
func (t *udpTransport) unicast(b []byte, dst netip.AddrPort) error {
	_, err := t.uconn.WriteToUDPAddrPort(b, dst)
	return err
}

func (t *udpTransport) interfaces() []ifaceInfo {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make([]ifaceInfo, len(t.ifs))
	for i, u := range t.ifs {
		out[i] = u.ifaceInfo
	}
	return out
}

// names returns the interface names; t.mu need not be held during setup.
func (t *udpTransport) names() []string {
	var n []string
	for _, u := range t.ifs {
		n = append(n, u.name)
	}
	return n
}

func (t *udpTransport) closeSockets() {
	if t.gconn != nil {
		t.gconn.Close()
	}
	if t.uconn != nil {
		t.uconn.Close()
	}
}

func (t *udpTransport) close() error {
	t.closeOnce.Do(func() {
		close(t.stop)
		t.closeSockets()
		t.wg.Wait()
		t.ns.close()
	})
	return nil
}
