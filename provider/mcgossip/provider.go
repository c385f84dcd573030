package mcgossip

import (
	"context"
	"errors"
	"fmt"
	"log"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/mcgossip/go-discover-mcgossip/provider/mcgossip/wire"
)

// Provider is the go-discover provider "mcgossip". The zero value is ready
// to use; it is safe for concurrent use.
//
// The first Addrs for a network configuration starts an Engine that lives
// until Close, so the process stays discoverable (announce=true, the
// default; its first announce waits until that first lookup is over, so
// the members answer the lookup instead of verifying the newcomer) and
// later lookups are answered from a warm table; Addrs calls
// with the same network settings (everything but timeout, stable and
// expect) share it.
type Provider struct {
	// Logger, when set, receives the log of the provider's engines as
	// slog records with fields (see Config.Logger), and the *log.Logger
	// of each Addrs call is not used: for a host that registers the
	// provider with go-discover, which passes only a *log.Logger, but
	// logs through log/slog. Set it before the first Addrs call. Default
	// nil: text lines to Addrs' logger, as go-discover and Consul expect.
	Logger *slog.Logger

	mu      sync.Mutex
	engines map[string]*Engine
	files   cookieFiles
}

// Addrs returns the addresses of the peers in the group that share the
// cookie: "ip", or "ip:port" for a peer that advertises a port, sorted by
// address, deduplicated, without this provider's own engines (told apart
// by instance id) and, unless exclude_local=false, without any peer at
// this host's own addresses. A lookup that ends short (nothing found, or
// fewer than expect) logs one line saying what it heard instead. args
// are go-discover's key=value arguments (see Help). A cookie_file is read
// once and then only stat'ed: it is read again, and the engine replaced,
// when its identity (device and inode), size or modification time changed.
// The engine logs to l
// from then on, also between calls, until an Addrs call for the same
// engine gives another logger; a nil l discards the log (unless Logger is
// set, which then receives it).
func (p *Provider) Addrs(args map[string]string, l *log.Logger) ([]string, error) {
	cfg, err := parseConfigWith(args, p.files.read)
	if err != nil {
		return nil, err
	}
	_, inline := args["cookie"]
	e, err := p.engine(cfg, l, inline)
	if err != nil {
		return nil, err
	}
	start := e.now()
	var heard Heard
	peers, err := e.Discover(context.Background(), WithTimeout(cfg.Timeout), WithStable(cfg.Stable),
		WithExpect(cfg.Expect), WithExcludeLocal(cfg.ExcludeLocal), WithHeard(&heard))
	if err != nil {
		return nil, err
	}
	own := p.engineIDs()
	out := make([]string, 0, len(peers))
	for _, pr := range peers {
		if !own[pr.ID] {
			out = append(out, pr.String())
		}
	}
	found := len(out)         // peers, as expect counts them
	out = slices.Compact(out) // peers are sorted by address and port
	if found == 0 || found < cfg.Expect {
		level := levelInfo
		if heard.Misconfigured() {
			level = levelWarn
		}
		took := e.now().Sub(start).Round(time.Millisecond)
		e.log.logf(level, fields("found", found, "expect", cfg.Expect, "took", took, "group", e.groupsDesc(), "", heard),
			"%s", heard.ShortLookup(found, cfg.Expect, took, e.groupsDesc()))
	}
	return out, nil
}

// engine returns the running engine for cfg's network settings, starting
// one if needed. When the cookies of a cookie_file changed since its engine
// started (a rotation), it starts a new engine and stops the old one, so
// the process no longer answers to a retired cookie. A new engine warns
// of an inline cookie (a cookie= in the config string).
func (p *Provider) engine(cfg *Config, l *log.Logger, inline bool) (*Engine, error) {
	key := engineKey(cfg)
	p.mu.Lock()
	defer p.mu.Unlock()
	old := p.engines[key]
	if old != nil && old.sameCookies(cfg) {
		old.log.set(l, p.Logger)
		return old, nil
	}
	c := *cfg
	c.lookupFirst = true // Addrs looks up at once
	c.Logger = p.Logger
	e, err := NewEngine(&c, l)
	if err != nil {
		return nil, err
	}
	if p.engines == nil {
		p.engines = make(map[string]*Engine)
	}
	p.engines[key] = e
	if inline {
		e.log.printf(levelWarn, "%s", inlineCookieWarning)
	}
	if old != nil {
		e.log.logf(levelInfo, fields("cookie_file", cfg.CookieFile, "engine", e.id, "replaces", old.id),
			"the cookies of %s changed: engine %s replaces engine %s", cfg.CookieFile, shortID(e.id), shortID(old.id))
		if err := old.Close(); err != nil {
			e.log.printf(levelWarn, "stopping engine %s: %v", shortID(old.id), err)
		}
	}
	return e, nil
}

// engineKey identifies the network identity of an engine: two Addrs calls
// whose configs have the same key share an engine. Per-call settings
// (timeout, stable, expect) are not part of it; nor is the content of a
// cookie_file, whose change replaces the engine.
func engineKey(c *Config) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d|%s|%s|%d|%t|%d|%s|%d|%s|%s|%d|%q|%t|%d|%d|%d",
		c.Port, c.MulticastAddr, c.MulticastAddr6, c.Family, c.BroadcastOnly, c.Prefer, c.IfAddr, c.TTL, strings.Join(c.Interfaces, ","),
		c.Advertise, c.AdvertisePort, c.Name, c.Announce, c.Interval, c.AnswerJitter, c.rescan)
	if c.CookieFile != "" {
		fmt.Fprintf(&b, "|file %q", c.CookieFile)
		return b.String()
	}
	for _, k := range append([]string{c.Cookie}, c.OldCookies...) {
		fmt.Fprintf(&b, "|%q", k)
	}
	return b.String()
}

// engineIDs returns the instance ids of the provider's engines.
func (p *Provider) engineIDs() map[wire.InstanceID]bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	ids := make(map[wire.InstanceID]bool, len(p.engines))
	for _, e := range p.engines {
		ids[e.ID()] = true
	}
	return ids
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
