package cli

import (
	"fmt"
	"io"
)

// keysHint ends the help of the commands that take a config string.
const keysHint = `
The key=val arguments are the mcgossip provider's config string
(provider=mcgossip may be left out); run '` + progName + ` help' for every key.
`

// commandHelp is each command's help: `<command> -h` and `help <command>`.
var commandHelp = map[string]string{
	"addrs": `Usage: ` + progName + ` addrs [flags] [key=val ...]

Looks the peers up once and prints their addresses on one line, separated
by single spaces (an empty line if none): go-discover's "discover addrs",
usable as go-netaddrs' exec= command. A peer that advertises a port is
printed as ip:port. The lookup ends once no new peer has answered for
stable, as soon as expect peers are known, or at timeout. addrs only looks:
it announces itself only with announce=true.

Flags:
  -json             Print one JSON document instead: "addrs" (as the line
                    would list them), "peers" (addr, port, name, id,
                    last_seen), "group", "expect" and "took_ms".
` + logFlags + keysHint + `
Examples:
  ` + progName + ` -q addrs cookie_file=/etc/mcgossip/cookie expect=3
  ` + progName + ` -q addrs -json cookie_file=/etc/mcgossip/cookie | jq -r '.addrs[]'
`,
	"agent": `Usage: ` + progName + ` agent [flags] [key=val ...]

Keeps this node discoverable: announces it, answers lookups and logs each
peer that joins, changes, leaves or expires, until SIGINT or SIGTERM; then
multicasts a signed leave and exits 0. announce=false is refused (use addrs
or watch to only look).

Signals: SIGUSR1 logs the counters and the peer table; SIGHUP asks for a
reload (logged; the agent goes on). Neither stops the agent.

Flags:
  -metrics-addr ADDR
                    Serve the counters as Prometheus metrics at
                    http://ADDR/metrics (host:port, such as 127.0.0.1:9102).
                    Off by default.
` + logFlags + keysHint + `
Example:
  ` + progName + ` agent -metrics-addr 127.0.0.1:9102 cookie_file=/etc/mcgossip/cookie
`,
	"watch": `Usage: ` + progName + ` watch [flags] [key=val ...]

Shows the peers live until SIGINT or SIGTERM: on a terminal a table redrawn
in place, otherwise one line per join, update, leave or expiry. It only
looks: it announces itself only with announce=true.

Flags:
  -json             Print one JSON object per event instead (time, event,
                    addr, port, name, id, last_seen), also on a terminal.
` + logFlags + keysHint + `
Example:
  ` + progName + ` watch -json cookie_file=/etc/mcgossip/cookie
`,
	"keygen": `Usage: ` + progName + ` keygen

Prints a new random cookie: 32 bytes from crypto/rand in base64url without
padding (43 characters of A-Z a-z 0-9 - _, nothing to quote).

Example:
  ` + progName + ` keygen > /etc/mcgossip/cookie && chmod 600 /etc/mcgossip/cookie
`,
	"help": `Usage: ` + progName + ` help [command]

Prints the usage and every config key, or a command's help.
`,
	"version": `Usage: ` + progName + ` version

Prints the version, the Go version and platform, and the wire protocol
version. -v, -version and --version before any command do the same.
`,
}

// printCommandHelp writes cmd's help to w.
func printCommandHelp(w io.Writer, cmd string) {
	fmt.Fprint(w, commandHelp[cmd])
}
