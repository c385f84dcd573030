package mcgossip

import (
	"errors"
	"fmt"
	"net/netip"

	"github.com/mcgossip/go-discover-mcgossip/provider/internal/mcast"
	"github.com/mcgossip/go-discover-mcgossip/provider/mcgossip/wire"
)

// readBuffer is the receive buffer each socket asks for. A flood of 100,000
// datagrams a second (issue 9's test) must not overflow it while the reader
// is held up: a GC pause or a busy core delays it by tens of milliseconds.
// Linux counts an skb's true size against the buffer, about 1 to 2.3 KiB
// for datagrams of 100 to 1232 bytes, and grants twice what is asked for
// its bookkeeping, so 4 MiB holds about 3,600 to 8,000 datagrams: 36 to
// 80 ms of such a flood, where the default 208 KiB holds 2 to 4 ms. The
// memory is only used while datagrams wait.
const readBuffer = 4 << 20

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
