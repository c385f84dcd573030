package mcgossip

import (
	"log"
	"net/netip"
	"sync/atomic"
	"time"

	"github.com/mcgossip/go-discover-mcgossip/provider/mcgossip/wire"
)

// NewMemEngine starts an engine on the in-memory network n.
func NewMemEngine(n *MemNet, cfg *Config, l *log.Logger) (*Engine, error) {
	return NewMemEngineAt(n, cfg, l, nil)
}

// NewMemEngineAt starts an engine on n whose clock is c (the real one for
// nil).
func NewMemEngineAt(n *MemNet, cfg *Config, l *log.Logger, c *Clock) (*Engine, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	clock := time.Now
	if c != nil {
		clock = c.Now
	}
	return newEngine(cfg, newLogs(l, cfg.Logger), keyring(cfg), n.newPort(), clock)
}

// Clock is the real clock moved forward by Advance.
type Clock struct{ off atomic.Int64 }

// Now returns the time.
func (c *Clock) Now() time.Time { return time.Now().Add(time.Duration(c.off.Load())) }

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) { c.off.Add(int64(d)) }

// Receive runs the engine's receive path on one datagram from src, as if
// it came in on the group socket (group true) or on the unicast socket, at
// the engine's first interface address.
func (e *Engine) Receive(b []byte, src netip.AddrPort, group bool) {
	p := &packet{data: b, src: src, group: group, dst: e.group4, ifindex: 1}
	if !group {
		p.dst = e.tr.interfaces()[0].addr
	}
	e.handle(p)
}

// Sweep runs every sweep now: expiry, the replay store, the pending query
// ids, the answered query ids and the verified candidates.
func (e *Engine) Sweep() {
	now := e.now()
	e.table.sweep(now)
	e.pending.sweep(now)
	e.replay.sweep(now)
	e.answers.sweep(now)
	e.verify.sweep(now)
}

// LimitInstances bounds the replay store to n instances.
func (e *Engine) LimitInstances(n int) {
	e.replay.mu.Lock()
	defer e.replay.mu.Unlock()
	e.replay.max = n
}

// Instances returns the number of instances in the replay store.
func (e *Engine) Instances() int { return e.replay.len() }

// Keyring returns the engine's keyring.
func (e *Engine) Keyring() *wire.Keyring { return e.kr.Load() }

// Kill stops the engine without a leave, as a crash would.
func (e *Engine) Kill() error { return e.close(false) }

// SetRescan sets the interface rescan period of engines made from c.
func SetRescan(c *Config, d time.Duration) { c.rescan = d }

// Engines returns the number of engines the provider runs.
func (p *Provider) Engines() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.engines)
}

// PendingQuery registers a query id, as a background query does, whose
// answers the engine accepts for an hour.
func (e *Engine) PendingQuery() wire.QueryID {
	q := newQueryID()
	e.pending.expiring(q, e.now().Add(time.Hour))
	return q
}

// PendingCount returns the number of query ids whose answers the engine
// accepts.
func (e *Engine) PendingCount() int { return e.pending.len() }

// MaxPending is the cap on the query ids verification queries register.
const MaxPending = maxPending

// VerifyBacklog returns the number of verification queries waiting to be
// sent.
func (e *Engine) VerifyBacklog() int { return e.verify.backlog() }

// ReadBuffer returns the receive buffer the kernel granted the engine's
// sockets, and the one they ask for.
func (e *Engine) ReadBuffer() (got, asked int) { return e.tr.readBuffer(), readBuffer }

// SetLookupFirst makes engines made from c hold their first announce
// until their first lookup ends, as Provider.Addrs's engines do.
func SetLookupFirst(c *Config) { c.lookupFirst = true }

// SettledAt returns when the engine's answers start to count its table
// (settleTime after its start, or when a lookup of its own ended).
func (e *Engine) SettledAt() time.Time { return time.Unix(0, e.settled.Load()) }

// Settle makes the engine's answers count its table from now on, as if
// settleTime had passed.
func (e *Engine) Settle() { e.settle(e.now()) }
