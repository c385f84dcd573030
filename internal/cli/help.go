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
stable, as soon as expect peers are known, or at timeout. It leaves out
this host's own addresses (exclude_local=false lists them). When it ends
short (nothing found, or fewer than expect) it logs what it heard instead:
datagrams sealed with another cookie (and from which hosts), clocks off,
or nothing at all. addrs only looks: it announces itself only with
announce=true.

Flags:
  -json             Print one JSON document instead: "addrs" (as the line
                    would list them), "peers" (addr, port, name, id,
                    last_seen), "group", "expect", "took_ms" and "heard"
                    (what the lookup heard: datagrams, other_cookie and
                    other_cookie_from, stale and stale_from, left_out, a
                    summary, ...).
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

Signals: SIGUSR1 logs the counters and the peer table; SIGHUP reads the
cookie_file again and swaps the keys at once, logging what changed by key
id ("unchanged" when nothing did; on an error it keeps the keys it has).
Neither stops the agent.

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
in place, otherwise one line per join, update, leave or expiry. What it
heard that made no peer (another cookie, clocks off, nothing at all) it
logs after a first lookup that found nobody, once a minute when that
changed, and when it stops (the table shows it in its header). It only
looks: it announces itself only with announce=true.

Flags:
  -json             Print one JSON object per event instead (time, event,
                    addr, port, name, id, last_seen), also on a terminal;
                    and "heard" objects (time, event "heard", why: lookup,
                    periodic or stop, peers, heard) at those moments.
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
