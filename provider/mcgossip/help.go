package mcgossip

// helpText is Provider.Help, in go-discover's house style: a title line, a
// blank line, then aligned key lines with their defaults.
const helpText = `mcgossip:

    provider:        "mcgossip"
    port:            UDP port of the multicast group.  Default "45892".
    multicast_addr:  IPv4 multicast group (224.0.0.0 to 239.255.255.255).
                     Default "230.1.1.251".
    if_addr:         IPv4 address of this host to send from; without iface,
                     the interface that has it is used.  Default "0.0.0.0"
                     (the kernel picks the interface's address).
    ttl:             Multicast TTL, 0 to 255; 1 keeps datagrams on the local
                     network.  Alias "multicast_ttl".  Default "1".
    iface:           Interface(s) to join the group on and send on, as
                     comma-separated names, e.g. "eth0,eth1".  Default: the
                     interface the kernel routes the group to.
    cookie:          Shared secret: only peers with the same cookie are found.
                     Datagrams are sealed with a key derived from it; the
                     cookie itself never goes on the wire.  Use 16 or more
                     random characters, and double-quote a value with "=" or
                     spaces.  Default: $MCGOSSIP_COOKIE, else none (an open
                     group, with a warning).
    cookie_file:     Read the cookie from this file instead, keeping it off
                     command lines: the first non-empty line is the cookie,
                     further lines are older cookies still accepted while a
                     new one is rolled out.  Not together with cookie.
    advertise:       Address this node announces: "ip", "ip:port" or ":port".
                     Default: the interface's IPv4 address, no port.
    name:            Node name announced to peers, at most 64 bytes.
                     Default none.
    announce:        "true": this process announces itself and answers queries
                     for as long as it runs, so peers find it; "false": it only
                     looks.  Default "true", so a host that embeds this provider
                     is discoverable (the go-discover-mcgossip addrs command
                     defaults to "false").
    interval:        Heartbeat period, at least 100ms, jittered by 20%; a peer
                     silent for three intervals is forgotten, so use one
                     interval for the whole group.  Default "5s".
    timeout:         The most a lookup blocks.  Default "5s".
    stable:          Return only once no new peer has answered for this long
                     after the last query.  Default "0": the answers decide
                     (see below).
    expect:          Return as soon as this many peers (nodes other than this
                     one) are known, and not earlier (stable is then ignored)
                     unless at timeout.  "0" is off.  Default "0".

    A lookup multicasts a query and returns the peers that answer it with the
    same cookie, as "ip" or "ip:port" when a peer advertises a port, sorted,
    without this process itself.  Peers spread their answers over a window
    sized from the group (a few milliseconds, 40ms for 2000 peers) and say
    how many members they know, so by default a lookup returns as soon as
    that many have answered, or once a window passes without news; answers
    get lost, so it asks again those still missing, and keeps asking while
    loss is seen.  It returns at timeout at the latest; with no peer at all
    it waits for timeout.  Datagrams carry a timestamp against replay, so
    clocks must agree within 30 seconds.  Put provider= first:
    "provider=mcgossip cookie_file=/etc/mcgossip/cookie".
`

// Help returns the provider's documentation for go-discover's help output.
func (p *Provider) Help() string { return helpText }
