package mcgossip

import (
	"errors"
	"fmt"
	"net/netip"

	"github.com/mcgossip/go-discover-mcgossip/provider/internal/mcast"
	"github.com/mcgossip/go-discover-mcgossip/provider/mcgossip/wire"
)

// readBuffer is the receive buffer each socket asks for. Two needs size it:
//
//   - a lookup of the largest group we claim (maxGroup members) must not
//     lose answers while its reader is held up: an answer (about 150 bytes)
//     costs answerTruesize of the buffer (Linux counts the skb's true size;
//     832 bytes measured on lo, about 1 KiB on a veth or a NIC), and a cold
//     engine that announces also gets up to one verification query from
//     each member meanwhile: 2 × 2000 × 1 KiB = 4 MiB, all of it even if
//     the reader stalled for the whole window;
//   - a flood of 100,000 datagrams a second (issue 9's test) must not
//     overflow it while the reader is held up: a GC pause or a busy core
//     delays it by tens of milliseconds; 1 to 2.3 KiB a datagram of 100 to
//     1232 bytes.
//
// Linux grants twice what is asked for its bookkeeping, so 4 MiB holds
// about 8,000 answers, or 36 to 80 ms of such a flood, where the default
// 208 KiB holds 400 answers or 2 to 4 ms. The memory is only used while
// datagrams wait. Where the kernel caps it (net.core.rmem_max, for a
// process without CAP_NET_ADMIN), the engine says so in its log.
const readBuffer = 4 << 20

// maxGroup is the largest group the engine is sized and benchmarked for,
// and answerTruesize what one answer costs of a receive buffer.
const (
	maxGroup       = 2000
	answerTruesize = 1 << 10
)

// udpTransport is the real transport: mcast's two UDP sockets for each
// address family in use (v4, v6; nil when not in use), with Config's
// settings and the engine's log. Each family has its own unicast socket,
// so its own port, which the endpoint of that family carries.
type udpTransport struct{ v4, v6 *mcast.Transport }

// newUDPTransport opens the sockets, on the calling thread (so in its
// network namespace), and joins the groups. The errors that are the
// user's mistake (an interface or an if_addr this host does not have) are
// *ConfigErrors naming the key.
func newUDPTransport(cfg *Config, g *logs) (*udpTransport, error) {
	u := &udpTransport{}
	ifaces := cfg.Interfaces
	order := []bool{false, true}
	if cfg.IfAddr.Is6() {
		order = []bool{true, false} // the family of if_addr chooses the interface
	}
	var first *mcast.Transport
	for _, v6 := range order {
		if !cfg.Family.has(v6) {
			continue
		}
		s := mcast.Settings{
			Group:      cfg.MulticastAddr,
			Port:       uint16(cfg.Port),
			Broadcast:  cfg.BroadcastOnly,
			TTL:        cfg.TTL,
			Interfaces: ifaces,
			Rescan:     cfg.rescan,
			ReadSize:   wire.MaxDatagram + 1,
			ReadBuffer: readBuffer,
			Log:        transportLog{g},
		}
		switch {
		case v6:
			s.Group = cfg.MulticastAddr6
		case cfg.BroadcastOnly && cfg.MulticastAddr != mcast.LimitedBroadcast:
			s.Group = netip.Addr{} // each interface's broadcast address
		}
		if cfg.IfAddr.Is6() == v6 {
			s.IfAddr = cfg.IfAddr
		} else if len(ifaces) == 0 && !cfg.IfAddr.IsUnspecified() && first != nil {
			// The other family's if_addr chose the interface: this
			// family uses the same one.
			for _, i := range first.Interfaces() {
				s.Interfaces = append(s.Interfaces, i.Name)
			}
		}
		t, err := mcast.Open(s)
		if err != nil {
			u.close()
			return nil, openError(s, err)
		}
		if first == nil {
			first = t
		}
		if v6 {
			u.v6 = t
		} else {
			u.v4 = t
		}
	}
	return u, nil
}

// openError returns the error for an error of mcast.Open with s.
func openError(s mcast.Settings, err error) error {
	switch {
	case errors.Is(err, mcast.ErrUnknownInterface):
		return &ConfigError{err: fmt.Errorf("discover-mcgossip: invalid iface %w", err)}
	case errors.Is(err, mcast.ErrAddrNotLocal):
		return &ConfigError{err: fmt.Errorf("discover-mcgossip: invalid if_addr %w", err)}
	case errors.Is(err, mcast.ErrChooseInterface):
		return fmt.Errorf("discover-mcgossip: %w; name the interface with iface", err)
	case errors.Is(err, mcast.ErrNoRoute) && s.Group.Is6():
		return fmt.Errorf("discover-mcgossip: %w: %w; no interface has IPv6 (check ip -6 addr), or set iface", ErrMulticastUnavailable, err)
	case errors.Is(err, mcast.ErrNoRoute):
		return fmt.Errorf("discover-mcgossip: %w: %w; add one for 224.0.0.0/4 (ip route add 224.0.0.0/4 dev eth0) or set iface", ErrMulticastUnavailable, err)
	}
	return fmt.Errorf("discover-mcgossip: %w", err)
}

// each returns the transports in use, IPv4 first, with their family.
func (u *udpTransport) each() []famTransport {
	var out []famTransport
	if u.v4 != nil {
		out = append(out, famTransport{u.v4, false})
	}
	if u.v6 != nil {
		out = append(out, famTransport{u.v6, true})
	}
	return out
}

// famTransport is a transport of one family.
type famTransport struct {
	t  *mcast.Transport
	v6 bool
}

func (u *udpTransport) start(h handler, rejoined func(string)) {
	for _, f := range u.each() {
		f.t.Start(func(p *mcast.Packet) {
			h(&packet{data: p.Data, src: p.Src, dst: p.Dst, ifindex: p.IfIndex, group: p.Group})
		}, rejoined)
	}
}

// multicast sends b on interface ifindex to the group of each family up
// there.
func (u *udpTransport) multicast(b []byte, ifindex int) error {
	var errs []error
	sent := false
	for _, f := range u.each() {
		err := f.t.MulticastOn(b, ifindex)
		if errors.Is(err, mcast.ErrNoInterfaceUp) {
			continue
		}
		if err != nil {
			errs = append(errs, err)
			continue
		}
		sent = true
	}
	if !sent && len(errs) == 0 {
		return mcast.ErrNoInterfaceUp
	}
	return errors.Join(errs...)
}

func (u *udpTransport) unicast(b []byte, dst netip.AddrPort) error {
	t := u.v4
	if dst.Addr().Is6() && !dst.Addr().Is4In6() {
		t = u.v6
	}
	if t == nil {
		return fmt.Errorf("no socket of the family of %s", dst)
	}
	return t.Unicast(b, dst)
}

// interfaces merges the interfaces of the families by index, in the
// order of the IPv4 transport's, then the IPv6 one's.
func (u *udpTransport) interfaces() []ifaceInfo {
	var out []ifaceInfo
	for _, f := range u.each() {
		fam := FamilyIPv4
		if f.v6 {
			fam = FamilyIPv6
		}
		for _, i := range f.t.Interfaces() {
			k := -1
			for j := range out {
				if out[j].index == i.Index && out[j].name == i.Name {
					k = j
				}
			}
			if k < 0 {
				out = append(out, ifaceInfo{name: i.Name, index: i.Index})
				k = len(out) - 1
			}
			if i.Up {
				out[k].fams |= fam
			}
			if f.v6 {
				out[k].addr6, out[k].pending6 = i.Addr, i.Pending
			} else {
				out[k].addr = i.Addr
			}
		}
	}
	return out
}

func (u *udpTransport) localPort(v6 bool) uint16 {
	t := u.v4
	if v6 {
		t = u.v6
	}
	if t == nil {
		return 0
	}
	return t.LocalPort()
}

func (u *udpTransport) readBuffer() int {
	got := 0
	for _, f := range u.each() {
		if r := f.t.ReadBuffer(); got == 0 || (r != 0 && r < got) {
			got = r
		}
	}
	return got
}

func (u *udpTransport) close() error {
	var errs []error
	for _, f := range u.each() {
		errs = append(errs, f.t.Close())
	}
	return errors.Join(errs...)
}
