//go:build linux

package plugintest

import (
	"testing"

	"github.com/mcgossip/go-discover-mcgossip/internal/cli"
	"github.com/mcgossip/go-discover-mcgossip/internal/lab"
	"github.com/mcgossip/go-discover-mcgossip/plugin"
	"github.com/mcgossip/go-discover-mcgossip/provider/mcgossip"
)

// The Addrs benchmarks run one lookup of three agents (in-process engines
// on lo, expect=3) with the mcgossip provider in process and through the
// plugin (the real go-discover-mcgossip binary, built by lab.Binary or
// taken from $MCGOSSIP_BINARY). Cold: a new provider per lookup (in
// process: a new engine; plugin: a new process, handshake and engine, then
// Close). Warm: one provider, reused. Targets: plugin cold < in-process
// cold + 150ms; plugin warm < in-process warm + 2ms.

// benchArgs starts the agents and returns the lookup's arguments.
func benchArgs(b *testing.B) map[string]string {
	b.Helper()
	cookie := cli.NewCookie()
	startEngines(b, cookie, 3)
	return map[string]string{
		"provider": "mcgossip", "iface": "lo", "port": mcgPort, "announce": "false",
		"cookie": cookie, "expect": "3", "timeout": "5s",
	}
}

// checkFound fails the benchmark unless Addrs found the three agents.
func checkFound(b *testing.B, addrs []string, err error) {
	if err != nil || len(addrs) != 3 {
		b.Fatalf("Addrs = %q, %v; want the 3 agents", addrs, err)
	}
}

func BenchmarkAddrsInProcessCold(b *testing.B) {
	args := benchArgs(b)
	for b.Loop() {
		p := &mcgossip.Provider{}
		addrs, err := p.Addrs(args, nil)
		checkFound(b, addrs, err)
		_ = p.Close()
	}
}

func BenchmarkAddrsPluginCold(b *testing.B) {
	args := benchArgs(b)
	bin := lab.Binary(b)
	for b.Loop() {
		p, err := plugin.NewProvider(bin)
		if err != nil {
			b.Fatal(err)
		}
		addrs, err := p.Addrs(args, nil)
		checkFound(b, addrs, err)
		_ = p.Close()
	}
}

func BenchmarkAddrsInProcessWarm(b *testing.B) {
	p := &mcgossip.Provider{}
	defer p.Close()
	benchWarm(b, p)
}

func BenchmarkAddrsPluginWarm(b *testing.B) {
	p, err := plugin.NewProvider(lab.Binary(b))
	if err != nil {
		b.Fatal(err)
	}
	defer p.Close()
	benchWarm(b, p)
}

// benchWarm measures lookups with p after a first one that warms it up.
func benchWarm(b *testing.B, p plugin.Provider) {
	args := benchArgs(b)
	addrs, err := p.Addrs(args, nil)
	checkFound(b, addrs, err)
	for b.Loop() {
		addrs, err := p.Addrs(args, nil)
		checkFound(b, addrs, err)
	}
}
