package cli

import (
	"fmt"
	"io"

	"github.com/mcgossip/go-discover-mcgossip/provider/libcluster"
	"github.com/mcgossip/go-discover-mcgossip/provider/mcgossip"
)

// usage is the command's usage text; printUsage appends the provider's Help.
const usage = `Usage: ` + progName + ` [flags] <command> [flags] [key=val ...]

Finds the other nodes of a cluster on the local network by authenticated
multicast. The key=val arguments are a go-discover config string for the
mcgossip provider: they are joined with spaces and parsed as go-discover
parses retry_join strings (double quotes for values with spaces or '=').
provider=mcgossip may be given or left out. With provider=libcluster,
addrs and watch find the BEAM nodes of an Elixir libcluster Gossip cluster
instead (its keys are listed last).

Commands:
  addrs    Print the addresses of the peers found on one line, separated by
           spaces (an empty line if none), and exit: go-discover's
           "discover addrs". It only listens and queries; it announces
           itself only with announce=true.
  agent    Keep this node discoverable: announce it and answer queries until
           SIGINT or SIGTERM, then send a leave and exit 0.
  watch    Show the peers live: a table redrawn in place on a terminal, one
           line per join, update, leave or expiry otherwise. Ctrl-C stops it.
  keygen   Print a new random cookie (256 bits, base64url, no quoting needed).
  help     Print this help (also -h, or no arguments).
  version  Print the version.

Flags (before or after the command, before the key=val arguments):
  -q                Log nothing on stderr; errors are still printed there.
  -log-level LEVEL  trace, debug, info, warn, error or off (default info;
                    watch: warn).
  -log-json         Log JSON lines (hclog) instead of text.
  -h                Print this help.

Examples:
  ` + progName + ` keygen > cookie && chmod 600 cookie
  ` + progName + ` agent provider=mcgossip cookie_file=cookie
  ` + progName + ` -q addrs provider=mcgossip cookie_file=cookie
  ` + progName + ` watch cookie_file=cookie

  Nomad (go-netaddrs) retry_join, bare IPs on stdout, nothing on stderr:
    "exec=` + progName + ` -q addrs provider=mcgossip cookie_file=/etc/mcgossip/cookie"
  There, do not advertise ports: a peer that advertises a port is printed
  as ip:port, which go-netaddrs rejects.

Exit status: 0 success, 1 error (configuration, network), 2 usage error.
`

// printUsage writes the usage text and the providers' Help to w.
func printUsage(w io.Writer) {
	fmt.Fprint(w, usage)
	fmt.Fprintln(w)
	fmt.Fprint(w, (&mcgossip.Provider{}).Help())
	fmt.Fprintln(w)
	fmt.Fprint(w, (&libcluster.Provider{}).Help())
}

// printShortUsage writes the usage text without the provider's Help, after
// a usage error.
func printShortUsage(w io.Writer) {
	fmt.Fprint(w, usage)
	fmt.Fprintf(w, "\nRun %q for the config keys.\n", progName+" help")
}
