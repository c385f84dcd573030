// Command go-discover-mcgossip finds the other nodes of a cluster on the
// local network by authenticated multicast: `addrs` prints their addresses
// (go-discover's `discover addrs`, usable as a go-netaddrs exec= command),
// `agent` keeps a node discoverable, `watch` shows the peers live. Run it
// with no arguments for help; provider=libcluster makes addrs and watch
// find the BEAM nodes of an Elixir libcluster cluster. When a go-plugin
// host launches it, it serves both providers, "mcgossip" and "libcluster",
// as a plugin instead (named go-discover-libcluster, plugin.Discover loads
// it as "libcluster").
//
// The agent idles for hours between heartbeats: keep the runtime from
// waking every second to re-read the CPU limit (GOMAXPROCS is read once at
// start).
//
//go:debug updatemaxprocs=0
package main

import (
	"os"

	"github.com/mcgossip/go-discover-mcgossip/internal/cli"
	"github.com/mcgossip/go-discover-mcgossip/plugin"
	"github.com/mcgossip/go-discover-mcgossip/provider/libcluster"
	"github.com/mcgossip/go-discover-mcgossip/provider/mcgossip"
)

func main() {
	if plugin.Launched() { // a go-plugin host started us: serve, no CLI
		plugin.Serve(map[string]plugin.Provider{
			"mcgossip":   &mcgossip.Provider{},
			"libcluster": &libcluster.Provider{},
		})
		return
	}
	os.Exit(cli.Run(os.Args[1:], os.Stdout, os.Stderr))
}
