package cli

import (
	"errors"
	"fmt"

	"github.com/hashicorp/go-hclog"

	"github.com/mcgossip/go-discover-mcgossip/provider/mcgossip"
)

// runAgent keeps this node discoverable: it runs an announcing engine until
// the context is cancelled (SIGINT, SIGTERM), then closes it, which sends a
// signed leave, and returns nil. Peer joins, leaves and expiries are logged
// at info level.
func runAgent(e *env) error {
	args, err := e.config("true")
	if err != nil {
		return err
	}
	hl, std := e.loggers(hclog.Info)
	cfg, err := mcgossip.ParseConfig(args)
	if err != nil {
		return err
	}
	if !cfg.Announce {
		return fmt.Errorf("discover-mcgossip: invalid announce %q: an agent always announces; to only look, use watch or addrs", args["announce"])
	}
	eng, err := mcgossip.NewEngine(cfg, std)
	if err != nil {
		return err
	}
	events, unsubscribe := eng.Events()
	hl.Info("agent started", "version", Version, "config", cfg.String())
	for {
		select {
		case <-e.ctx.Done():
			unsubscribe()
			if err := eng.Close(); err != nil {
				return err
			}
			hl.Info("agent stopped: leave sent")
			return nil
		case ev, ok := <-events:
			if !ok { // only Close closes it, and only this function calls Close
				_ = eng.Close()
				return errors.New("discover-mcgossip: the engine stopped unexpectedly")
			}
			kv := []any{"addr", ev.Peer.String()}
			if ev.Peer.Name != "" {
				kv = append(kv, "name", ev.Peer.Name)
			}
			hl.Info("peer "+ev.Kind.String(), kv...)
		}
	}
}
