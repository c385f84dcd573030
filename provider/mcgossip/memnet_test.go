package mcgossip

import (
	"math/rand/v2"
	"net/netip"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
)

// MemNet is an in-memory network for socket-free engine tests: every
// engine on it gets a fake transport with one interface, mem0, with its own
// address 10.0.0.N, and the unicast port 40000 (AddInterface adds more). A
// multicast reaches every engine (the sender too, as the kernel's loopback
// does); a unicast reaches the engine with that address. Delivery is
// asynchronous, one goroutine per engine, in order. Loss drops a share of
// the datagrams between different engines at random.
type MemNet struct {
	mu    sync.Mutex
	group netip.AddrPort
	ports []*memPort
	next  int
	loss  float64
	rbuf  int // the receive buffer the ports report granted
	tap   func(Datagram)
	drop  func(d Datagram, to netip.AddrPort) bool
}

// Datagram is one datagram on a MemNet, as its tap sees it.
type Datagram struct {
	Data      []byte
	Src, Dst  netip.AddrPort
	Multicast bool
}

// NewMemNet returns an empty network.
func NewMemNet() *MemNet {
	return &MemNet{group: netip.AddrPortFrom(DefaultMulticastAddr, DefaultPort)}
}

// SetLoss sets the probability (0 to 1) that a datagram between two
// engines is lost.
func (n *MemNet) SetLoss(p float64) {
	n.mu.Lock()
	n.loss = p
	n.mu.Unlock()
}

// SetReadBuffer makes the transports of engines started later report that
// the kernel granted them n bytes of receive buffer (0: unknown).
func (n *MemNet) SetReadBuffer(bytes int) {
	n.mu.Lock()
	n.rbuf = bytes
	n.mu.Unlock()
}

// Tap calls f with a copy of every datagram sent on the network (before
// loss), from the sender's goroutine.
func (n *MemNet) Tap(f func(Datagram)) {
	n.mu.Lock()
	n.tap = f
	n.mu.Unlock()
}

// Drop calls f for every delivery of a datagram to the engine at to (the
// sender's own loopback copy included); f returning true loses it. f runs
// on the sender's goroutine and must not call into the network.
func (n *MemNet) Drop(f func(d Datagram, to netip.AddrPort) bool) {
	n.mu.Lock()
	n.drop = f
	n.mu.Unlock()
}

// SetDown cuts the engine off the network (up false) or reconnects it: a
// cut-off engine's datagrams go nowhere and nothing reaches it.
func (n *MemNet) SetDown(e *Engine, down bool) {
	e.tr.(*memPort).down.Store(down)
}

// Addr returns the engine's address on the network (its first
// interface's, with its port).
func (n *MemNet) Addr(e *Engine) netip.AddrPort { return e.tr.(*memPort).addr }

// AddInterface gives the engine a further interface, with the address
// 10.(k).0.N for its k-th, on the same network, and returns its address.
func (n *MemNet) AddInterface(e *Engine) netip.AddrPort {
	p := e.tr.(*memPort)
	n.mu.Lock()
	defer n.mu.Unlock()
	a := p.addr.Addr().As4()
	a[1] = byte(len(p.ifs))
	ap := netip.AddrPortFrom(netip.AddrFrom4(a), p.addr.Port())
	p.ifs = append(p.ifs, ifaceInfo{name: "mem" + strconv.Itoa(len(p.ifs)), index: len(p.ifs) + 1, fams: FamilyIPv4, addr: ap.Addr()})
	return ap
}

type memPkt struct {
	data  []byte
	src   netip.AddrPort
	dst   netip.Addr
	group bool
}

// memPort is a fake transport.
type memPort struct {
	net  *MemNet
	addr netip.AddrPort
	ifs  []ifaceInfo // guarded by net.mu
	q    chan memPkt
	stop chan struct{}
	wg   sync.WaitGroup
	down atomic.Bool
	once sync.Once
	rbuf int // the receive buffer it reports granted (MemNet.SetReadBuffer)
	// host are the other addresses of the host the engine runs on
	// (ShareHost), guarded by net.mu.
	host []netip.Addr
}

func (n *MemNet) newPort() *memPort {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.next++
	p := &memPort{
		net:  n,
		addr: netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, 0, byte(n.next >> 8), byte(n.next)}), 40000),
		q:    make(chan memPkt, 4096),
		stop: make(chan struct{}),
		rbuf: n.rbuf,
	}
	p.ifs = []ifaceInfo{{name: "mem0", index: 1, fams: FamilyIPv4, addr: p.addr.Addr()}}
	n.ports = append(n.ports, p)
	return p
}

func (p *memPort) start(h handler, _ func(string)) {
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		for {
			select {
			case <-p.stop:
				return
			case pk := <-p.q:
				h(&packet{data: pk.data, src: pk.src, group: pk.group, dst: pk.dst, ifindex: 1})
			}
		}
	}()
}

// deliver queues a copy of b, sent to dst, for p, unless the queue is full.
func (p *memPort) deliver(b []byte, src netip.AddrPort, dst netip.Addr, group bool) {
	if p.down.Load() {
		return
	}
	select {
	case p.q <- memPkt{data: slices.Clone(b), src: src, dst: dst, group: group}:
	default:
	}
}

// send sends b from src to dst.
func (p *memPort) send(b []byte, src, dst netip.AddrPort, multicast bool) error {
	if p.down.Load() {
		return nil
	}
	n := p.net
	n.mu.Lock()
	tap, loss, drop := n.tap, n.loss, n.drop
	dg := Datagram{Data: b, Src: src, Dst: dst, Multicast: multicast}
	var to []*memPort
	for _, q := range n.ports {
		if (multicast || q.has(dst)) && (q == p || loss == 0 || rand.Float64() >= loss) &&
			(drop == nil || !drop(dg, q.addr)) {
			to = append(to, q)
		}
	}
	n.mu.Unlock()
	if tap != nil {
		tap(Datagram{Data: slices.Clone(b), Src: src, Dst: dst, Multicast: multicast})
	}
	for _, q := range to {
		q.deliver(b, src, dst.Addr(), multicast)
	}
	return nil
}

// has reports whether one of p's interfaces has the address of dst, and p
// its port. n.mu is held.
func (p *memPort) has(dst netip.AddrPort) bool {
	if dst.Port() != p.addr.Port() {
		return false
	}
	return slices.ContainsFunc(p.ifs, func(i ifaceInfo) bool { return i.addr == dst.Addr() })
}

// multicast sends from the address of interface ifindex.
func (p *memPort) multicast(b []byte, ifindex int) error {
	src := p.addr
	p.net.mu.Lock()
	if ifindex >= 1 && ifindex <= len(p.ifs) {
		src = netip.AddrPortFrom(p.ifs[ifindex-1].addr, p.addr.Port())
	}
	p.net.mu.Unlock()
	return p.send(b, src, p.net.group, true)
}

// unicast sends from the first interface's address.
func (p *memPort) unicast(b []byte, dst netip.AddrPort) error { return p.send(b, p.addr, dst, false) }

func (p *memPort) interfaces() []ifaceInfo {
	p.net.mu.Lock()
	defer p.net.mu.Unlock()
	return slices.Clone(p.ifs)
}

// localPort returns the port of IPv4, the only family of the network.
func (p *memPort) localPort(v6 bool) uint16 {
	if v6 {
		return 0
	}
	return p.addr.Port()
}

// hostAddrs returns the addresses of p's interfaces and of the engines on
// its host.
func (p *memPort) hostAddrs() ([]netip.Addr, error) {
	p.net.mu.Lock()
	defer p.net.mu.Unlock()
	out := slices.Clone(p.host)
	for _, i := range p.ifs {
		out = append(out, i.addr)
	}
	return out, nil
}

// ShareHost puts the engines on one host: each one's addresses (those of
// its interfaces then) are the others' host addresses too.
func (n *MemNet) ShareHost(es ...*Engine) {
	n.mu.Lock()
	defer n.mu.Unlock()
	for _, a := range es {
		pa := a.tr.(*memPort)
		for _, b := range es {
			if a != b {
				for _, i := range b.tr.(*memPort).ifs {
					pa.host = append(pa.host, i.addr)
				}
			}
		}
	}
}

func (p *memPort) readBuffer() int { return p.rbuf }

func (p *memPort) close() error {
	p.once.Do(func() {
		close(p.stop)
		p.wg.Wait()
		n := p.net
		n.mu.Lock()
		n.ports = slices.DeleteFunc(n.ports, func(q *memPort) bool { return q == p })
		n.mu.Unlock()
	})
	return nil
}
