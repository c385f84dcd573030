package libcluster

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log"
	"log/slog"
	"strings"
	"sync"
	"time"
)

// Provider is the go-discover provider "libcluster": it finds the BEAM
// nodes of an Elixir libcluster Gossip cluster by their heartbeats, and
// with an Erlang cookie lists only the nodes that share it. The zero value
// is ready to use; it is safe for concurrent use.
//
// The first Addrs for a group starts an Engine that listens until Close,
// so later lookups answer at once from a warm table, and the cookie checks
// keep their cache and back-off between lookups (a node with another
// cookie logs an error for each check, so it must not be checked at every
// lookup). Addrs calls with the same network settings share it.
type Provider struct {
	// Logger, when set, receives the log of the provider's engines as
	// slog records with fields (see Config.Logger), and the *log.Logger
	// of each Addrs call is not used. Set it before the first Addrs call.
	// Default nil: text lines to Addrs' logger.
	Logger *slog.Logger

	mu      sync.Mutex
	engines map[string]*Engine
}

// Help returns the provider's documentation for go-discover's help output.
func (p *Provider) Help() string { return helpText }

// Addrs returns the addresses of the nodes of the group (see Help): the
// source IPv4 address of each node's heartbeats, deduplicated and sorted,
// or "ip:port" with dist_port=true. args are go-discover's key=value
// arguments. The engine logs to l from then on, also between calls, until
// an Addrs call for the same engine gives another logger; a nil l discards
// the log.
func (p *Provider) Addrs(args map[string]string, l *log.Logger) ([]string, error) {
	cfg, err := ParseConfig(args)
	if err != nil {
		return nil, err
	}
	e, err := p.engine(cfg, l)
	if err != nil {
		return nil, err
	}
	start := time.Now()
	nodes, err := e.Discover(context.Background(), WithTimeout(cfg.Timeout), WithExpect(cfg.Expect))
	if err != nil {
		return nil, err
	}
	took := time.Since(start).Round(time.Millisecond)
	e.log.logf(levelInfo, fields("found", len(nodes), "took", took), "found %s in %v%s", plural(len(nodes), "node"), took, nodeList(nodes))
	return Addrs(nodes, cfg.DistPort), nil
}

// nodeList returns ": a@h (addr), ..." for the log, or "".
func nodeList(nodes []NodeInfo) string {
	if len(nodes) == 0 {
		return ""
	}
	s := make([]string, len(nodes))
	for i, n := range nodes {
		s[i] = n.String()
	}
	return ": " + strings.Join(s, ", ")
}

// plural returns "1 thing" or "n things".
func plural(n int, thing string) string {
	if n == 1 {
		return "1 " + thing
	}
	return fmt.Sprintf("%d %ss", n, thing)
}

// engine returns the running engine for cfg's group, starting one if
// needed; an engine of that group with another secret, cookie or epmd
// port is replaced.
func (p *Provider) engine(cfg *Config, l *log.Logger) (*Engine, error) {
	key := fmt.Sprintf("%d|%s|%s|%s", cfg.Port, cfg.MulticastAddr, cfg.IfAddr, strings.Join(cfg.Interfaces, ","))
	p.mu.Lock()
	defer p.mu.Unlock()
	old := p.engines[key]
	if old != nil && sameChecks(old.cfg, cfg) {
		old.log.set(l, p.Logger)
		return old, nil
	}
	if old != nil {
		if err := old.Close(); err != nil {
			old.log.printf(levelWarn, "stopping the engine: %v", err)
		}
		delete(p.engines, key)
	}
	cfg.Logger = p.Logger
	e, err := NewEngine(cfg, l)
	if err != nil {
		return nil, err
	}
	if p.engines == nil {
		p.engines = make(map[string]*Engine)
	}
	p.engines[key] = e
	return e, nil
}

// sameChecks reports whether an engine of a can serve b: the same secret,
// cookie, epmd port and dist_port (the per-lookup settings may differ).
func sameChecks(a, b *Config) bool {
	return a.Secret == b.Secret && bytes.Equal(a.Cookie, b.Cookie) && (a.Cookie == nil) == (b.Cookie == nil) &&
		a.EpmdPort == b.EpmdPort && a.DistPort == b.DistPort
}

// Close stops every engine the provider started and returns once their
// goroutines have ended. The Provider can be used again afterwards.
func (p *Provider) Close() error {
	p.mu.Lock()
	engines := p.engines
	p.engines = nil
	p.mu.Unlock()
	var errs []error
	for _, e := range engines {
		errs = append(errs, e.Close())
	}
	return errors.Join(errs...)
}
