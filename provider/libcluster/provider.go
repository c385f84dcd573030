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
// lookup). Addrs calls with the same settings (all but timeout and expect)
// share it; calls with other settings for the same group (another secret,
// cookie, epmd_port or dist_port) get an engine of their own beside it.
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
	return nodes.Addrs(cfg.DistPort), nil
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

// engine returns the running engine for cfg, starting one if needed.
// Configs that differ in any setting an engine uses (see engineKey) get
// engines of their own, side by side: they share the group's port
// (SO_REUSEADDR), and each keeps its own checks, cache and back-off. The
// one engine that is replaced is that of a secret_file or
// erlang_cookie_file whose content changed: the new engine starts, then
// the old one stops (a lookup running on it at that moment returns
// ErrClosed), so no check runs with a retired cookie.
func (p *Provider) engine(cfg *Config, l *log.Logger) (*Engine, error) {
	key := engineKey(cfg)
	p.mu.Lock()
	defer p.mu.Unlock()
	old := p.engines[key]
	if old != nil && sameSecrets(old.cfg, cfg) {
		old.log.set(l, p.Logger)
		return old, nil
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
	if old != nil {
		e.log.printf(levelInfo, "the content of %s changed: a new engine replaces the old one", changedFile(old.cfg, cfg))
		if err := old.Close(); err != nil {
			e.log.printf(levelWarn, "stopping the old engine: %v", err)
		}
	}
	return e, nil
}

// engineKey identifies an engine: two Addrs calls whose configs have the
// same key share one. It holds every setting an engine uses (the network
// ones, epmd_port, dist_port, and the secret and the cookie, or the files
// they were read from, whose content may change), but not the per-lookup
// ones (timeout, expect).
func engineKey(c *Config) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d|%s|%s|%s|%d|%t|%d|%d|%d|%d", c.Port, c.MulticastAddr, c.IfAddr, strings.Join(c.Interfaces, ","),
		c.EpmdPort, c.DistPort, c.Expire, c.CheckTimeout, c.rescan, c.listen)
	switch {
	case c.SecretFile != "":
		fmt.Fprintf(&b, "|secret_file %q", c.SecretFile)
	default:
		fmt.Fprintf(&b, "|secret %q", c.Secret)
	}
	switch {
	case c.CookieFile != "":
		fmt.Fprintf(&b, "|erlang_cookie_file %q", c.CookieFile)
	case c.Cookie != nil:
		fmt.Fprintf(&b, "|erlang_cookie %q", c.Cookie)
	default:
		b.WriteString("|no cookie")
	}
	return b.String()
}

// sameSecrets reports whether two configs of one engineKey hold the same
// secret and cookie: they differ only when a file's content changed.
func sameSecrets(a, b *Config) bool {
	return a.Secret == b.Secret && bytes.Equal(a.Cookie, b.Cookie)
}

// changedFile names the file whose content differs between two configs
// of one engineKey.
func changedFile(a, b *Config) string {
	if a.Secret != b.Secret {
		return "secret_file " + b.SecretFile
	}
	return "erlang_cookie_file " + b.CookieFile
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
