package mcgossip

import (
	"log"
	"net/netip"
	"time"

	"github.com/mcgossip/go-discover-mcgossip/provider/mcgossip/wire"
)

// NewMemEngine starts an engine on the in-memory network n.
func NewMemEngine(n *MemNet, cfg *Config, l *log.Logger) (*Engine, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	return newEngine(cfg, newLogs(l), keyring(cfg), n.newPort())
}

// Receive runs the engine's receive path on one datagram from src, as if
// it came in on the group socket (group true) or the unicast socket.
func (e *Engine) Receive(b []byte, src netip.AddrPort, group bool) {
	e.handle(&packet{data: b, src: src, group: group, dst: e.group})
}

// Keyring returns the engine's keyring.
func (e *Engine) Keyring() *wire.Keyring { return e.kr }

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

// MemberCount returns the number of table entries (peers, observers,
// tombstones).
func (e *Engine) MemberCount() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return len(e.members)
}

// PendingQuery registers a query id, as a background query does, whose
// answers the engine accepts for a while.
func (e *Engine) PendingQuery() wire.QueryID {
	q := newQueryID()
	e.mu.Lock()
	e.pending[q] = &pendingQuery{expires: time.Now().Add(time.Hour)}
	e.mu.Unlock()
	return q
}

// PendingCount returns the number of query ids whose answers the engine
// accepts.
func (e *Engine) PendingCount() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return len(e.pending)
}

// MaxPending is the cap on the query ids verification queries register.
const MaxPending = maxPending

// VerifyBacklog returns the number of verification queries waiting to be
// sent.
func (e *Engine) VerifyBacklog() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return len(e.verify)
}
