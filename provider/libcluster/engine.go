package libcluster

import (
	"context"
	"errors"
	"fmt"
	"log"
	"log/slog"
	"net/netip"
	"sync"
	"time"

	"github.com/mcgossip/go-discover-mcgossip/provider/internal/mcast"
)

// ErrClosed is the error of Discover on a closed Engine.
var ErrClosed = errors.New("discover-libcluster: engine closed")

// maxChecks bounds the cookie checks (or epmd lookups) that run at once.
const maxChecks = 16

// Engine listens to a libcluster Gossip group and keeps the table of the
// nodes it hears: with an Erlang cookie, those whose cookie a distribution
// handshake proved (see Checker); without one, every node heard. A node
// silent for Config.Expire is forgotten (libcluster sends no leave).
//
// It only listens: it opens no socket that can send to the group, and
// sends nothing there. Its only traffic is the checks: TCP to epmd and to
// the node, at the heartbeat's source address. It is safe for concurrent
// use.
type Engine struct {
	cfg     *Config
	recv    *mcast.Receiver
	dec     *Decoder
	checker *Checker // nil without a cookie
	log     *logs
	started time.Time

	ctx    context.Context // ends at Close; the checks run under it
	cancel context.CancelFunc
	sem    chan struct{} // maxChecks tokens
	wg     sync.WaitGroup
	wake   chan struct{} // a new node: the expiry loop recomputes its timer

	mu      sync.Mutex
	closed  bool
	nodes   map[nodeKey]*nodeEntry
	sources map[netip.Addr]*source
	changed chan struct{} // closed and replaced at every change of the table
	subs    map[*subscriber]struct{}
	stats   Stats
}

// NewEngine opens the group socket on the calling thread (so in its
// network namespace, where the checks connect from too), joins the group
// and starts listening. It logs records with fields to cfg.Logger when
// that is set, else text lines to l; with both nil it discards the log.
// Errors that are the user's mistake are *ConfigErrors naming the key.
// Close it when done.
func NewEngine(cfg *Config, l *log.Logger) (*Engine, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	g := newLogs(l, cfg.Logger)
	recv, err := mcast.OpenReceiver(mcast.Settings{
		Group:      cfg.MulticastAddr,
		Port:       uint16(cfg.Port),
		IfAddr:     cfg.IfAddr,
		Interfaces: cfg.Interfaces,
		Rescan:     cfg.rescan,
		ReadSize:   MaxDatagram + 1,
		Log:        transportLog{g},
	})
	switch {
	case err == nil:
	case errors.Is(err, mcast.ErrUnknownInterface):
		return nil, &ConfigError{err: fmt.Errorf("discover-libcluster: invalid iface %w", err)}
	case errors.Is(err, mcast.ErrAddrNotLocal):
		return nil, &ConfigError{err: fmt.Errorf("discover-libcluster: invalid if_addr %w", err)}
	case errors.Is(err, mcast.ErrNoRoute):
		return nil, fmt.Errorf("discover-libcluster: multicast looks unavailable: %w; add one for 224.0.0.0/4 (ip route add 224.0.0.0/4 dev eth0) or set iface", err)
	default:
		return nil, fmt.Errorf("discover-libcluster: %w", err)
	}
	e := &Engine{
		cfg:     cfg,
		recv:    recv,
		dec:     NewDecoder(),
		log:     g,
		started: time.Now(),
		sem:     make(chan struct{}, maxChecks),
		wake:    make(chan struct{}, 1),
		nodes:   map[nodeKey]*nodeEntry{},
		sources: map[netip.Addr]*source{},
		changed: make(chan struct{}),
		subs:    map[*subscriber]struct{}{},
		stats:   Stats{Dropped: map[string]uint64{}, Checks: map[string]uint64{}},
	}
	if cfg.Secret != "" {
		e.dec = NewSecretDecoder(cfg.Secret)
	}
	if cfg.Cookie != nil {
		e.checker, err = NewChecker(CheckerConfig{Cookie: cfg.Cookie, EpmdPort: uint16(cfg.EpmdPort), Dial: recv.Dial})
		if err != nil {
			recv.Close()
			return nil, &ConfigError{err: fmt.Errorf("discover-libcluster: %w", err)}
		}
	}
	e.ctx, e.cancel = context.WithCancel(context.Background())
	if e.checker == nil {
		g.printf(levelWarn, "no erlang_cookie: every node heard is listed, unproven (anyone on the network can send a heartbeat naming any node); set erlang_cookie_file to list only the nodes that share your Erlang cookie")
	}
	e.wg.Add(1)
	go e.expireLoop()
	recv.Start(e.receive, func(iface string) {})
	g.printf(levelDebug, "listening on %s:%d (%s)", cfg.MulticastAddr, cfg.Port, cfg)
	return e, nil
}

// receive handles one datagram from the group socket.
func (e *Engine) receive(p *mcast.Packet) {
	if p.Dst != e.cfg.MulticastAddr {
		// Another group on the port (platforms where the socket is not
		// bound to the group), or no packet info.
		e.drop(p.Src, "group", levelDebug, errors.New("not sent to the group"))
		return
	}
	node, err := e.dec.Decode(p.Data)
	if err != nil {
		r := ReasonOf(err)
		e.drop(p.Src, r.String(), reasonLevel(r), err)
		return
	}
	addr, err := node.DialAddr(p.Src.Addr())
	if err != nil {
		e.drop(p.Src, ReasonSource.String(), levelWarn, fmt.Errorf("%s: %w", node, err))
		return
	}
	e.heard(node, addr, time.Now())
}

// reasonLevel is the level a drop of reason r is logged at: other
// protocols and other secrets on the group at debug and info, broken or
// hostile heartbeats as warnings.
func reasonLevel(r Reason) slog.Level {
	switch r {
	case ReasonPrefix, ReasonPlain, ReasonBlocks:
		return levelDebug
	case ReasonSecret:
		return levelInfo
	}
	return levelWarn
}

// drop counts a dropped datagram and logs the first of its kind each
// minute.
func (e *Engine) drop(src netip.AddrPort, kind string, level slog.Level, why error) {
	e.mu.Lock()
	e.stats.Dropped[kind]++
	e.mu.Unlock()
	e.log.limited("drop "+kind, level, fields("reason", kind, "src", src), "dropped a datagram from %s: %v", src, why)
}

// Stats are an Engine's counters.
type Stats struct {
	// Heartbeats counts the heartbeats accepted (decoded, and from the
	// address their node name has, if it has one).
	Heartbeats uint64
	// Dropped counts the datagrams dropped, by reason: the Reason names
	// ("prefix", "secret", "term", ...), "group" (not sent to the group),
	// "rate" (too many new node names from one source) and "full" (the
	// table is full).
	Dropped map[string]uint64
	// Checks counts the cookie checks (or, with dist_port and no cookie,
	// the epmd lookups) by Result name, cached verdicts as "cached".
	Checks map[string]uint64
	// Nodes is how many nodes are known, listed or not; Listed how many
	// are listed.
	Nodes, Listed int
}

// Stats returns a copy of the counters.
func (e *Engine) Stats() Stats {
	e.mu.Lock()
	defer e.mu.Unlock()
	s := e.stats
	s.Dropped = make(map[string]uint64, len(e.stats.Dropped))
	for k, v := range e.stats.Dropped {
		s.Dropped[k] = v
	}
	s.Checks = make(map[string]uint64, len(e.stats.Checks))
	for k, v := range e.stats.Checks {
		s.Checks[k] = v
	}
	s.Nodes = len(e.nodes)
	for _, en := range e.nodes {
		if en.listed {
			s.Listed++
		}
	}
	return s
}

// Close stops listening and the checks, closes the event channels, and
// returns once every goroutine of the engine has ended.
func (e *Engine) Close() error {
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		return nil
	}
	e.closed = true
	e.notifyLocked()
	e.mu.Unlock()
	e.cancel()
	err := e.recv.Close()
	e.wg.Wait()
	e.mu.Lock()
	for s := range e.subs {
		delete(e.subs, s)
		close(s.ch)
	}
	e.mu.Unlock()
	return err
}
