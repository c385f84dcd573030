package mcgossip

import (
	"context"
	"errors"
	"log"
	"slices"
	"sync"
)

// Provider is the go-discover provider "mcgossip". The zero value is ready
// to use; it is safe for concurrent use.
//
// The first Addrs for a network configuration starts an Engine that lives
// until Close, so the process stays discoverable (announce=true, the
// default) and later lookups are answered from a warm table; Addrs calls
// with the same network settings (everything but timeout, stable and
// expect) share it.
type Provider struct {
	mu      sync.Mutex
	engines map[string]*Engine
}

// Addrs returns the addresses of the peers in the group that share the
// cookie: "ip", or "ip:port" for a peer that advertises a port, sorted,
// deduplicated, without this process's own engine. args are go-discover's
// key=value arguments (see Help). A nil logger discards the log; a
// non-nil one becomes the engine's logger from then on.
func (p *Provider) Addrs(args map[string]string, l *log.Logger) ([]string, error) {
	cfg, err := ParseConfig(args)
	if err != nil {
		return nil, err
	}
	e, err := p.engine(cfg, l)
	if err != nil {
		return nil, err
	}
	peers, err := e.Discover(context.Background(),
		WithTimeout(cfg.Timeout), WithStable(cfg.Stable), WithExpect(cfg.Expect))
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(peers))
	for _, pr := range peers {
		out = append(out, pr.String())
	}
	out = slices.Compact(out) // peers are sorted by address and port
	if len(out) == 0 {
		e.log.printf(levelInfo, "no peers found in %v on %s:%d", cfg.Timeout, cfg.MulticastAddr, cfg.Port)
	}
	return out, nil
}

// engine returns the running engine for cfg's network settings, starting
// one if needed.
func (p *Provider) engine(cfg *Config, l *log.Logger) (*Engine, error) {
	key := cfg.engineKey()
	p.mu.Lock()
	defer p.mu.Unlock()
	if e := p.engines[key]; e != nil {
		e.setLogger(l)
		return e, nil
	}
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

// Close stops every engine the provider started: each sends its leave and
// returns once its goroutines have ended. The Provider can be used again
// afterwards; Addrs then starts new engines.
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
