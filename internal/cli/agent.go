package cli

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/mcgossip/go-discover-mcgossip/internal/metrics"
	"github.com/mcgossip/go-discover-mcgossip/internal/version"
	"github.com/mcgossip/go-discover-mcgossip/provider/mcgossip"
)

// runAgent keeps this node discoverable: it runs an announcing engine until
// the context is cancelled (SIGINT, SIGTERM), then closes it, which sends a
// signed leave, and returns nil. At the start it looks the group up once,
// in the background, and logs what it found (or, when it found nothing,
// what it heard); peer joins, updates, leaves and expiries are logged at
// info level. With -metrics-addr it serves its counters to Prometheus.
// Under Run, SIGUSR1 logs the counters and the peer table, and SIGHUP reads
// the cookie_file again (reload); neither stops it.
func runAgent(e *env) error {
	args, cfg, err := e.parseConfig("true")
	if err != nil {
		return err
	}
	if !cfg.Announce {
		return fmt.Errorf("discover-mcgossip: invalid announce %q: an agent always announces; to only look, use watch or addrs", args["announce"])
	}
	eng, hl, err := e.startEngine(cfg, hclog.Info)
	if err != nil {
		return err
	}
	var ms *metrics.Server // nil: metrics off
	if e.opts.metricsAddr != "" {
		if ms, err = metrics.Listen(e.opts.metricsAddr, eng.Stats); err != nil {
			_ = eng.Close()
			return err
		}
	}
	sigs, stopSignals := e.notify(syscall.SIGHUP, syscall.SIGUSR1)
	defer stopSignals()
	events, unsubscribe := eng.Events()
	defer unsubscribe()
	kv := []any{"version", version.String(), "config", cfg.String()}
	if ms != nil {
		kv = append(kv, "metrics", "http://"+ms.Addr().String()+metrics.Path)
	}
	hl.Info("agent started", kv...)
	looked := firstLookup(e.ctx, eng, cfg.Expect, hl, ms)
	for {
		select {
		case <-e.ctx.Done():
			<-looked // Discover returns at once on a cancelled context
			err := eng.Close()
			if merr := ms.Close(); err == nil {
				err = merr
			}
			if err != nil {
				return err
			}
			hl.Info("agent stopped: leave sent")
			return nil
		case ev := <-events: // closed only by unsubscribe or Close, after this loop
			kv := []any{"addr", ev.Peer.String()}
			if ev.Peer.Name != "" {
				kv = append(kv, "name", ev.Peer.Name)
			}
			hl.Info("peer "+ev.Kind.String(), kv...)
		case sig := <-sigs: // nil under RunContext: never ready
			switch sig {
			case syscall.SIGUSR1:
				dump(hl, eng)
			case syscall.SIGHUP:
				reload(hl, eng, cfg.CookieFile)
			}
		}
	}
}

// notify relays sigs to the returned channel until stop is called, when
// the command may take signals (Run); otherwise (RunContext) the channel
// is nil and never receives.
func (e *env) notify(sigs ...os.Signal) (ch <-chan os.Signal, stop func()) {
	if !e.signals {
		return nil, func() {}
	}
	c := make(chan os.Signal, 1)
	signal.Notify(c, sigs...)
	return c, func() { signal.Stop(c) }
}

// firstLookup looks the group up once, in the background, logs what it
// found (and, short of expect, what it heard) and records it in ms; the
// returned channel is closed when it has returned (at once when ctx is
// cancelled).
func firstLookup(ctx context.Context, eng *mcgossip.Engine, expect int, hl hclog.Logger, ms *metrics.Server) <-chan struct{} {
	done := make(chan struct{})
	go func() {
		defer close(done)
		start := time.Now()
		var heard mcgossip.Heard
		peers, err := eng.Discover(ctx, mcgossip.WithHeard(&heard))
		if ctx.Err() != nil {
			return // stopping: not a lookup that ended
		}
		ms.Lookup(start, len(peers), err)
		took := time.Since(start).Round(time.Millisecond)
		addrs := strings.Join(peerStrings(peers), " ")
		switch {
		case err != nil:
			hl.Warn("first lookup failed", "took", took, "error", err)
		case len(peers) == 0: // the first node of a cluster finds none
			logHeard(hl, "first lookup found no peers", heard, "took", took)
		case len(peers) < expect:
			logHeard(hl, fmt.Sprintf("first lookup found %d of the %d expected peers", len(peers), expect), heard, "took", took, "peers", addrs)
		default:
			hl.Info("first lookup found "+plural(len(peers), "peer"), "took", took, "peers", addrs)
		}
	}()
	return done
}

// reload reads the engine's cookie_file again (SIGHUP) and logs what
// changed, by key id; on an error the engine keeps its keys.
func reload(hl hclog.Logger, eng *mcgossip.Engine, file string) {
	if file == "" {
		hl.Warn("reload (SIGHUP): nothing to reload: the cookie comes from cookie= or $" + mcgossip.CookieEnv + ", not a cookie_file; restart the agent to change it")
		return
	}
	ch, err := eng.ReloadCookies()
	if err != nil {
		hl.Error("reload (SIGHUP) failed: keeping the current keys", "cookie_file", file, "error", err)
		return
	}
	hl.Info("reload (SIGHUP): cookie_file read again: "+ch.String(), "cookie_file", file, "keys", strings.Join(ch.New, " "), "changed", ch.Changed())
}

// dump logs the engine's counters and its peer table (SIGUSR1).
func dump(hl hclog.Logger, eng *mcgossip.Engine) {
	hl.Info("counters (SIGUSR1)", metrics.Fields(eng.Stats())...)
	peers := eng.Peers()
	hl.Info("peer table (SIGUSR1)", "peers", len(peers))
	now := time.Now()
	for _, p := range peers {
		kv := []any{"addr", p.String(), "id", p.ID.String(), "state", p.State.String(), "last_seen", ago(now, p.LastSeen)}
		if p.Name != "" {
			kv = append(kv, "name", p.Name)
		}
		hl.Info("peer", kv...)
	}
}
