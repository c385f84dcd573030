package cli

import (
	"fmt"
	"github.com/mcgossip/go-discover-mcgossip/internal/version"

	"github.com/hashicorp/go-hclog"
)

// runAgent keeps this node discoverable: it runs an announcing engine until
// the context is cancelled (SIGINT, SIGTERM), then closes it, which sends a
// signed leave, and returns nil. Peer joins, updates, leaves and expiries
// are logged at info level.
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
	events, unsubscribe := eng.Events()
	defer unsubscribe()
	hl.Info("agent started", "version", version.String(), "config", cfg.String())
	for {
		select {
		case <-e.ctx.Done():
			if err := eng.Close(); err != nil {
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
		}
	}
}
