package libcluster

// helpText is Provider.Help, in go-discover's house style: a title line, a
// blank line, then aligned key lines with their defaults.
const helpText = `libcluster:

    provider:            "libcluster"
    port:                UDP port of libcluster's group.  Default "45892".
    multicast_addr:      IPv4 multicast group.  Default "233.252.1.32", the
                         default of libcluster 3.3 and later; libcluster 3.2
                         and earlier (and 2.x) use "230.1.1.251".
    if_addr:             IPv4 address of this host: without iface, listen on
                         the interface that has it; the cookie checks connect
                         from it.  Default "0.0.0.0" (the interface the kernel
                         routes the group to).
    iface:               Interface(s) to listen on, as comma-separated names,
                         e.g. "eth0,eth1".  Default: see if_addr.
    secret:              libcluster's secret (Gossip's secret option): decrypt
                         the heartbeats with it; plain ones are then ignored.
                         Default none: plain heartbeats.
    secret_file:         Read the secret from this file instead (surrounding
                         white space trimmed).  Not together with secret.
    erlang_cookie:       The Erlang cookie of the cluster: a node is listed only
                         once the distribution handshake proves it shares the
                         cookie (as a hidden node: the cluster never lists this
                         process).  Printable ASCII, at most 255 characters.
                         Default none: every node heard is listed, unproven.
    erlang_cookie_file:  Read the cookie from this file, as Erlang does (owner
                         access only; trailing line ends dropped).  "default"
                         is Erlang's own: $HOME/.erlang.cookie, or
                         $XDG_CONFIG_HOME/erlang/.erlang.cookie.  Not together
                         with erlang_cookie.
    epmd_port:           Port of epmd on the nodes' hosts (ERL_EPMD_PORT).
                         Default "4369".
    dist_port:           "true": return "ip:port" with each node's distribution
                         port, from epmd.  Default "false": the bare IP.
    timeout:             The most a lookup blocks.  Default "6s" (a node sends
                         a heartbeat at least every 5 seconds).
    expect:              Return as soon as this many nodes are listed, and not
                         earlier unless at timeout.  "0" is off.  Default "0".

    A lookup listens to the heartbeats that libcluster's Gossip strategy
    multicasts (it never sends one: libcluster answers no query) and returns
    the source IPv4 address of each node heard, deduplicated and sorted. It
    returns once it has listened for a whole heartbeat gap (5 s from the
    first lookup; later lookups answer at once) and the checks are done,
    at expect or at timeout. A node silent for 15 s is forgotten. Without
    erlang_cookie anyone on the network can add a node with a forged
    heartbeat. With it, each node is checked at the address its heartbeat
    came from, never elsewhere: epmd there, then the handshake; a node named
    by IP must be named by that address. A node with another cookie logs an
    error per check, so checks are cached per node incarnation and backed
    off after a rejection. Run one check per host at a time: they connect as
    "mcgossip@<this host's IP>". As in Erlang's own handshake, the check
    proves the cookie first: any host that sends a heartbeat can collect
    MD5(cookie + a challenge it picks) and guess the cookie offline, so use
    a long random Erlang cookie. A spoofed heartbeat makes the provider
    connect to epmd at any address it names (rate-limited). Put provider=
    first: "provider=libcluster erlang_cookie_file=default".
`
