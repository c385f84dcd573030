package libcluster

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"time"
)

// Timing of the checks: how often a node is contacted while it keeps
// sending heartbeats.
const (
	// recheck is how long a verdict is given without contacting the node.
	// Then epmd is asked for the port and the node for its challenge,
	// which shows its incarnation; a known incarnation keeps its verdict
	// without the cookie being proved again.
	recheck = 30 * time.Second
	// matchFor is how long a match stands for one incarnation before the
	// cookie is proved again (it can change at run time).
	matchFor = 10 * time.Minute
	// rejectBackoff and maxRejectBackoff bound how long a mismatch, or a
	// not_allowed, stands for one incarnation before the cookie is proved
	// again: the node logs an error for each, so the wait doubles up to
	// the maximum.
	rejectBackoff    = time.Minute
	maxRejectBackoff = time.Hour
	// failBackoff and maxFailBackoff bound the wait after a check that
	// could not finish, doubling.
	failBackoff    = 2 * time.Second
	maxFailBackoff = time.Minute
	// defaultCheckTimeout bounds a check whose context has no deadline.
	defaultCheckTimeout = 5 * time.Second
	// maxEntries bounds the nodes remembered; the least recently checked
	// is forgotten first.
	maxEntries = 4096
)

// DefaultProbeName is the default name part of the node name the checker
// connects as; the host part is the local address of each connection.
const DefaultProbeName = "mcgossip"

// CheckerConfig configures a Checker.
type CheckerConfig struct {
	// Cookie is the Erlang cookie, as the bytes the node digests: the
	// Latin-1 codes of the cookie atom's characters, which for the usual
	// ASCII cookie is its text, and for a cookie read from a
	// .erlang.cookie file is the file's bytes. 1 to 255 bytes; required.
	Cookie []byte
	// ProbeName is the name part of the node name the checker connects as
	// (default DefaultProbeName): letters, digits and . _ -. A node keeps
	// every node name that connects to it as an atom for good, so the name
	// is fixed rather than random. Two checkers on one host that check one
	// node at the same moment make one of them fail with ErrBusy.
	ProbeName string
	// EpmdPort is epmd's port on the nodes' hosts (default 4369).
	EpmdPort uint16
	// Dial opens the TCP connections, to epmd and to the node (default a
	// net.Dialer's DialContext).
	Dial func(ctx context.Context, network, address string) (net.Conn, error)
}

// Checker checks that the nodes heartbeats name share an Erlang cookie,
// with the distribution handshake (see the package documentation). It
// remembers its verdicts per node, address and incarnation (the node's
// creation), so that a node that keeps sending heartbeats is contacted at
// most every 30 seconds, and then only asked for its incarnation (the node
// logs nothing); the cookie is proved again after 10 minutes, or at once
// for a new incarnation. After a rejection, which the node logs as an
// error, it is proved again after 1 minute, doubling up to 1 hour. A check
// that cannot finish is retried after 2 seconds, doubling up to 1 minute.
// It remembers at most 4096 nodes. It is safe for concurrent use.
type Checker struct {
	cookie   []byte
	name     string
	epmdPort uint16
	dial     func(ctx context.Context, network, address string) (net.Conn, error)
	creation uint32
	now      func() time.Time

	// afterMatch, when set, runs after a handshake that matched, with the
	// connection still open (tests look at the node then).
	afterMatch func()

	mu    sync.Mutex
	nodes map[key]*entry
}

// key identifies what a verdict is about: a node name at an address.
type key struct {
	node Node
	addr netip.Addr
}

// entry is what a Checker remembers of a node at an address.
type entry struct {
	lock chan struct{} // holds a token while a check runs
	used time.Time     // when it was last asked for

	last      Verdict   // the last verdict given
	recheckAt time.Time // until then, last is given without contact

	// known is the last conclusive verdict (Match or Mismatch), with the
	// port and creation of the incarnation it is about; it stands for that
	// incarnation until provenUntil.
	known       Verdict
	provenUntil time.Time
	rejections  int // rejections in a row of that incarnation
	failures    int // checks in a row that could not finish
}

// NewChecker returns a Checker. Its errors name the setting and never show
// the cookie.
func NewChecker(cfg CheckerConfig) (*Checker, error) {
	if len(cfg.Cookie) == 0 || len(cfg.Cookie) > 255 {
		return nil, fmt.Errorf("libcluster: invalid cookie (value not shown): must be 1 to 255 bytes, has %d", len(cfg.Cookie))
	}
	name := cfg.ProbeName
	if name == "" {
		name = DefaultProbeName
	}
	if !validNode(name+"@h") || len(name) > 64 {
		return nil, fmt.Errorf("libcluster: invalid probe name %q: must be 1 to 64 letters, digits, '.', '_' or '-'", name)
	}
	c := &Checker{
		cookie:   append([]byte(nil), cfg.Cookie...),
		name:     name,
		epmdPort: cfg.EpmdPort,
		dial:     cfg.Dial,
		now:      time.Now,
		nodes:    make(map[key]*entry),
	}
	if c.epmdPort == 0 {
		c.epmdPort = DefaultEpmdPort
	}
	if c.dial == nil {
		c.dial = (&net.Dialer{}).DialContext
	}
	var b [4]byte
	if _, err := rand.Read(b[:]); err != nil {
		return nil, fmt.Errorf("libcluster: creation: %w", err)
	}
	// Creations 0 to 3 are those of old nodes (and 0 means "any").
	c.creation = max(binary.BigEndian.Uint32(b[:]), 4)
	return c, nil
}

// Check returns the verdict on node, whose heartbeat came from addr (see
// Node.DialAddr for the address to give). It contacts the node only when
// its remembered verdict is due for a recheck; concurrent checks of one
// node wait for each other. ctx bounds the check (5 seconds without a
// deadline); its end gives an Unreachable verdict.
func (c *Checker) Check(ctx context.Context, node Node, addr netip.Addr) Verdict {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, defaultCheckTimeout)
		defer cancel()
	}
	e := c.entry(key{node, addr})
	select {
	case e.lock <- struct{}{}:
		defer func() { <-e.lock }()
	case <-ctx.Done():
		return Verdict{Result: Unreachable, Err: fmt.Errorf("libcluster: waiting for another check of %s: %w", node, ctx.Err())}
	}
	now := c.now()
	if now.Before(e.recheckAt) {
		v := e.last
		v.Cached = v.Cached || v.Result == Match || v.Result == Mismatch
		return v
	}
	v := c.probe(ctx, e, node, addr, now)
	c.record(e, v, c.now())
	return v
}

// entry returns the entry of k, making room for it if needed.
func (c *Checker) entry(k key) *entry {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now()
	if e := c.nodes[k]; e != nil {
		e.used = now
		return e
	}
	if len(c.nodes) >= maxEntries {
		var oldest key
		var at time.Time
		for k, e := range c.nodes {
			if len(e.lock) == 0 && (at.IsZero() || e.used.Before(at)) {
				oldest, at = k, e.used
			}
		}
		delete(c.nodes, oldest)
	}
	e := &entry{lock: make(chan struct{}, 1), used: now}
	c.nodes[k] = e
	return e
}

// probe contacts epmd and the node. When the node's incarnation has a
// standing conclusive verdict, it stops after the challenge (which the node
// takes without a log line) and gives that verdict again; otherwise it
// proves the cookie.
func (c *Checker) probe(ctx context.Context, e *entry, node Node, addr netip.Addr, now time.Time) Verdict {
	ent, err := c.askEpmd(ctx, node, addr)
	if err != nil {
		return failed(err, 0, 0)
	}
	conn, err := c.dial(ctx, "tcp", netip.AddrPortFrom(addr, ent.port).String())
	if err != nil {
		return failed(fmt.Errorf("libcluster: connecting to %s: %w", node, err), ent.port, 0)
	}
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	// Our node name's host: the address the node sees us at.
	host := "localhost"
	if local, err := netip.ParseAddrPort(conn.LocalAddr().String()); err == nil {
		host = local.Addr().Unmap().WithZone("").String()
	}
	h := &handshake{conn: conn, self: c.name + "@" + host, creation: c.creation, cookie: c.cookie, peer: node}
	theirs, creation, err := h.challenge()
	if err != nil {
		return failed(ctxErr(ctx, err), ent.port, 0)
	}
	if e.known.Port == ent.port && e.known.Creation == creation && now.Before(e.provenUntil) {
		v := e.known
		v.Cached = true
		return v
	}
	if err := h.prove(theirs); err != nil {
		return failed(ctxErr(ctx, err), ent.port, creation)
	}
	if c.afterMatch != nil {
		c.afterMatch()
	}
	return Verdict{Result: Match, Port: ent.port, Creation: creation}
}

// askEpmd asks epmd on addr for the node's entry.
func (c *Checker) askEpmd(ctx context.Context, node Node, addr netip.Addr) (epmdEntry, error) {
	return queryEpmd(ctx, c.dial, c.epmdPort, node, addr)
}

// queryEpmd asks the epmd at addr:port, through dial, for the node's
// entry.
func queryEpmd(ctx context.Context, dial func(ctx context.Context, network, address string) (net.Conn, error),
	port uint16, node Node, addr netip.Addr) (epmdEntry, error) {
	conn, err := dial(ctx, "tcp", netip.AddrPortFrom(addr, port).String())
	if err != nil {
		return epmdEntry{}, fmt.Errorf("libcluster: connecting to epmd for %s: %w", node, err)
	}
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	ent, err := portPlease(conn, node.Name())
	if err != nil {
		return epmdEntry{}, ctxErr(ctx, fmt.Errorf("asking epmd for %s: %w", node, err))
	}
	return ent, nil
}

// ctxErr adds the context's end to err, when that is what ended it: the
// context's error, or a connection deadline (the context's) that passed
// just before the context noticed.
func ctxErr(ctx context.Context, err error) error {
	cerr := ctx.Err()
	var ne net.Error
	if dl, ok := ctx.Deadline(); cerr == nil && ok && errors.As(err, &ne) && ne.Timeout() && !time.Now().Before(dl) {
		cerr = context.DeadlineExceeded
	}
	if cerr != nil && !errors.Is(err, cerr) {
		return fmt.Errorf("%w (%w)", err, cerr)
	}
	return err
}

// record remembers v as the verdict of a check that ended at now, and
// decides when to contact the node again.
func (c *Checker) record(e *entry, v Verdict, now time.Time) {
	e.last = v
	e.recheckAt = now.Add(recheck)
	switch {
	case v.Cached:
		e.failures = 0
	case v.Result == Match:
		e.known, e.provenUntil, e.rejections, e.failures = v, now.Add(matchFor), 0, 0
	case v.Result == Mismatch:
		// The node logged an error: prove the cookie to this incarnation
		// again only after a back-off that doubles.
		if e.known.Result == Mismatch && e.known.Port == v.Port && e.known.Creation == v.Creation {
			e.rejections++
		} else {
			e.rejections = 1
		}
		wait := backoff(rejectBackoff, maxRejectBackoff, e.rejections)
		e.known, e.provenUntil, e.failures = v, now.Add(wait), 0
	case errors.Is(v.Err, ErrNotAllowed):
		// The node logged an error too, before its challenge: without its
		// incarnation, wait out the back-off without contact.
		e.rejections++
		e.known, e.failures = Verdict{}, 0
		e.recheckAt = now.Add(backoff(rejectBackoff, maxRejectBackoff, e.rejections))
	default:
		e.failures++
		e.recheckAt = now.Add(backoff(failBackoff, maxFailBackoff, e.failures))
	}
}

// backoff returns base doubled n-1 times, at most limit.
func backoff(base, limit time.Duration, n int) time.Duration {
	d := base
	for i := 1; i < n && d < limit; i++ {
		d *= 2
	}
	return min(d, limit)
}
