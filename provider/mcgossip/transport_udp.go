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

// udpTransport is the real transport: mcast's two UDP sockets, with
// Config's settings and the engine's log.
type udpTransport struct{ t *mcast.Transport }

// newUDPTransport opens the sockets, on the calling thread (so in its
// network namespace), and joins the group. The errors that are the user's
// mistake (an interface or an if_addr this host does not have) are
// *ConfigErrors naming the key.
func newUDPTransport(cfg *Config, g *logs) (*udpTransport, error) {
	t, err := mcast.Open(mcast.Settings{
		Group:      cfg.MulticastAddr,
		Port:       uint16(cfg.Port),
		IfAddr:     cfg.IfAddr,
		TTL:        cfg.TTL,
		Interfaces: cfg.Interfaces,
		Rescan:     cfg.rescan,
		ReadSize:   wire.MaxDatagram + 1,
		ReadBuffer: readBuffer,
		Log:        transportLog{g},
	})
	switch {
	case err == nil:
		return &udpTransport{t}, nil
	case errors.Is(err, mcast.ErrUnknownInterface):
		return nil, &ConfigError{err: fmt.Errorf("discover-mcgossip: invalid iface %w", err)}
	case errors.Is(err, mcast.ErrAddrNotLocal):
		return nil, &ConfigError{err: fmt.Errorf("discover-mcgossip: invalid if_addr %w", err)}
	case errors.Is(err, mcast.ErrNoRoute):
		return nil, fmt.Errorf("discover-mcgossip: multicast looks unavailable: %w; add one for 224.0.0.0/4 (ip route add 224.0.0.0/4 dev eth0) or set iface", err)
	}
	return nil, fmt.Errorf("discover-mcgossip: %w", err)
}

func (u *udpTransport) start(h handler, rejoined func(string)) {
	u.t.Start(func(p *mcast.Packet) {
		h(&packet{data: p.Data, src: p.Src, dst: p.Dst, ifindex: p.IfIndex, group: p.Group})
	}, rejoined)
}

func (u *udpTransport) multicast(b []byte, ifindex int) error { return u.t.MulticastOn(b, ifindex) }

func (u *udpTransport) unicast(b []byte, dst netip.AddrPort) error { return u.t.Unicast(b, dst) }

func (u *udpTransport) interfaces() []ifaceInfo {
	ifs := u.t.Interfaces()
	out := make([]ifaceInfo, len(ifs))
	for i, f := range ifs {
		out[i] = ifaceInfo{name: f.Name, index: f.Index, up: f.Up, addr: f.Addr}
	}
	return out
}

func (u *udpTransport) localPort() uint16 { return u.t.LocalPort() }

func (u *udpTransport) readBuffer() int { return u.t.ReadBuffer() }

func (u *udpTransport) close() error { return u.t.Close() }

// transportLog writes the transport's lines to the engine's log.
type transportLog struct{ g *logs }

// levels maps mcast's levels to the engine's.
var levels = [...]string{mcast.LevelDebug: levelDebug, mcast.LevelInfo: levelInfo, mcast.LevelWarn: levelWarn}

func (l transportLog) Printf(level mcast.Level, format string, args ...any) {
	l.g.printf(levels[level], format, args...)
}

func (l transportLog) Limited(kind mcast.Limit, level mcast.Level, format string, args ...any) {
	l.g.limited(limitTransport+int(kind), levels[level], format, args...)
}
