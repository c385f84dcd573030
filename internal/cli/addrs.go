package cli

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/mcgossip/go-discover-mcgossip/provider/mcgossip"
)

// runAddrs is go-discover's `discover addrs` for mcgossip: one lookup, the
// addresses on one stdout line separated by single spaces, each once (an
// empty line if none), errors on stderr. It is an observer unless
// announce=true is given. A lookup that ends short (nothing, or fewer than
// expect) logs what the engine heard instead.
//
// Behind go-netaddrs exec= (with -q) stdout holds bare IPs as long as the
// peers advertise no port, and stderr stays empty on success. With -json,
// stdout holds one JSON document instead (writeAddrsJSON).
func runAddrs(e *env) error {
	_, cfg, err := e.parseConfig("false")
	if err != nil {
		return err
	}
	eng, hl, err := e.startEngine(cfg, hclog.Info)
	if err != nil {
		return err
	}
	start := time.Now()
	var heard mcgossip.Heard
	peers, err := eng.Discover(e.ctx, mcgossip.WithHeard(&heard))
	took := time.Since(start)
	if cerr := eng.Close(); err == nil && cerr != nil {
		err = cerr
	}
	if err != nil {
		if e.ctx.Err() != nil {
			return fmt.Errorf("discover-mcgossip: addrs interrupted: %w", err)
		}
		return err
	}
	out := make([]string, len(peers))
	for i, p := range peers {
		out[i] = p.String()
	}
	// Several engines on one host (agents, or an embedded provider beside
	// an agent) are one address: print it once, as Provider.Addrs does.
	// The peers are sorted by address and port.
	out = slices.Compact(out)
	if len(out) == 0 || len(peers) < cfg.Expect {
		logHeard(hl, shortLookup(len(peers), cfg.Expect), heard,
			"took", took.Round(time.Millisecond), "group", cfg.Groups())
	}
	if e.opts.json {
		return writeAddrsJSON(e.stdout, cfg, out, peers, took, heard)
	}
	_, err = fmt.Fprintln(e.stdout, strings.Join(out, " "))
	return err
}

// shortLookup is the message of a lookup that ended short.
func shortLookup(found, expect int) string {
	if found == 0 {
		return "no peers found"
	}
	return fmt.Sprintf("found %d of the %d expected peers", found, expect)
}
