package mcgossip

import (
	"errors"
	"fmt"
	"net/netip"

	"github.com/mcgossip/go-discover-mcgossip/provider/internal/mcast"
	"github.com/mcgossip/go-discover-mcgossip/provider/mcgossip/wire"
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

func (u *udpTransport) multicast(b []byte) error { return u.t.Multicast(b) }

func (u *udpTransport) unicast(b []byte, dst netip.AddrPort) error { return u.t.Unicast(b, dst) }

func (u *udpTransport) interfaces() []ifaceInfo {
	ifs := u.t.Interfaces()
	out := make([]ifaceInfo, len(ifs))
	for i, f := range ifs {
		out[i] = ifaceInfo{name: f.Name, index: f.Index, up: f.Up}
	}
	return out
}

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
