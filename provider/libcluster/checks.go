package libcluster

import (
	"context"
	"errors"
	"time"
)

// epmdRetry is how long the engine waits after a failed epmd lookup (no
// cookie, dist_port) before the next heartbeat of that node may start one.
const epmdRetry = 2 * time.Second

// check runs the check of the node k: the cookie check with a cookie,
// otherwise (dist_port) the epmd lookup of its port. At most maxChecks run
// at once; the others wait for a turn.
func (e *Engine) check(k nodeKey) {
	defer e.wg.Done()
	select {
	case e.sem <- struct{}{}:
		defer func() { <-e.sem }()
	case <-e.ctx.Done():
		e.checked(k, Verdict{Result: Unreachable, Err: e.ctx.Err()})
		return
	}
	ctx, cancel := context.WithTimeout(e.ctx, e.cfg.CheckTimeout)
	defer cancel()
	if e.checker != nil {
		e.checked(k, e.checker.Check(ctx, k.node, k.addr))
		return
	}
	ent, err := queryEpmd(ctx, e.recv.Dial, uint16(e.cfg.EpmdPort), k.node, k.addr)
	if err != nil {
		e.checked(k, failed(err, 0, 0))
		return
	}
	e.checked(k, Verdict{Result: Match, Port: ent.port})
}

// checked applies the verdict of a check of k to the table.
func (e *Engine) checked(k nodeKey, v Verdict) {
	now := time.Now()
	e.mu.Lock()
	defer e.mu.Unlock()
	name := v.Result.String()
	if v.Cached {
		name = "cached"
	}
	e.stats.Checks[name]++
	en := e.nodes[k]
	if en == nil {
		return
	}
	en.checking = false
	defer e.notifyLocked() // a lookup may wait for this check
	if e.closed {
		return
	}
	switch v.Result {
	case Match:
		en.failLogged = false
		en.port = v.Port
		if e.checker == nil {
			en.portAt = now
			e.list(en, now, "heard, no erlang_cookie to check; port from epmd")
			return
		}
		e.list(en, now, "it shares the Erlang cookie")
	case Mismatch, ProtocolError:
		e.unlist(en, now, v.Err)
	default:
		// Unreachable: a previous verdict stands; try again later.
		if e.checker == nil {
			en.retryAt = now.Add(epmdRetry)
		}
		if !en.failLogged && !errors.Is(v.Err, context.Canceled) {
			en.failLogged = true
			e.log.logf(levelInfo, fields("node", string(k.node), "addr", k.addr, "error", v.Err), "could not check node %s at %s (tried again at later heartbeats): %v", k.node, k.addr, v.Err)
		}
	}
}
