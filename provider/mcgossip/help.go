package mcgossip

// helpText is Provider.Help, in go-discover's house style: a title line, a
// blank line, then aligned key lines with their defaults.
const helpText = `mcgossip:

    provider:        "mcgossip"
    port:            UDP port of the multicast group.  Default "45892".
    multicast_addr:  Multicast group: IPv4 (224.0.0.0 to 239.255.255.255) or
                     IPv6 (ff00::/8), or one of each, comma-separated, e.g.
                     "230.1.1.251,ff02::114".  Default "230.1.1.251", and
                     "ff02::114" for IPv6: link-local scope, so it never
                     leaves the link, like TTL 1, and needs no multicast
                     routing; a group of its own (IANA's "any private
                     experiment"), not all-nodes ff02::1, so hosts without
                     an engine never see it.  A group of another protocol
                     (mDNS, SSDP, ...) or of 224.0.0.0/24 is warned about.
    family:          "ipv4", "ipv6" or "dual": both, so a lookup asks on both
                     groups and finds peers of either family, and a node
                     announces on both.  Default: the families of
                     multicast_addr, else "ipv4".
    prefer:          A peer reachable over both families is listed once, by
                     its address of this one: "ipv4" or "ipv6".  Default
                     "ipv4".
    broadcast_only:  "true": send to the interface's IPv4 broadcast address
                     instead of a group, for networks that drop multicast
                     (switches with IGMP snooping but no querier, some home
                     routers), and receive every broadcast to port; with
                     multicast_addr "255.255.255.255", to that address, as
                     libcluster.  Cookie, sealing and replay protection are
                     unchanged; ttl does not apply (no router forwards a
                     broadcast).  IPv4 only; every node must set it.
                     Default "false".
    if_addr:         Address of this host to send from, IPv4 or IPv6 (not
                     link-local); without iface, the interface that has it
                     is used.  Default "0.0.0.0" (the kernel picks the
                     interface's address; for IPv6 a global or unique-local
                     one, else the link-local one).
    ttl:             Multicast TTL and IPv6 hop limit, 0 to 255; 1 keeps
                     datagrams on the local network.  Alias "multicast_ttl".
                     Default "1".
    iface:           Interface(s) to join the group on and send on, as
                     comma-separated names, e.g. "eth0,eth1".  Default: the
                     interface the kernel routes the group to (ff02::/16
                     too: set iface on a host with several); with
                     broadcast_only, the only one that can broadcast.
    cookie:          Shared secret: only peers with the same cookie are found.
                     Datagrams are sealed with a key derived from it; the
                     cookie itself never goes on the wire.  Use 16 or more
                     random characters, and double-quote a value with "=" or
                     spaces.  Prefer cookie_file: config strings get shown
                     (a warning says so).  Default: $MCGOSSIP_COOKIE, else
                     none (an open group, with a warning).
    cookie_file:     Read the cookie from this file instead, keeping it off
                     command lines: the first non-empty line is the cookie,
                     further lines are older cookies still accepted while a
                     new one is rolled out.  Keep it mode 0600 (a file open
                     to group or others is warned about); the agent reads
                     it again on SIGHUP.  Not together with cookie.
    advertise:       Address this node announces: "ip", "ip:port" or ":port"
                     ("[ip]:port" for IPv6); not a loopback address.
                     Default: the address of the interface it sends from (of
                     a dual-stack node, the one of the family each peer's
                     prefer names), no port.
    name:            Node name announced to peers, at most 64 bytes of
                     printable UTF-8; "" for none.  Default: this host's name
                     (its first 64 bytes).
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
    exclude_local:   "true": a lookup leaves out the peers at this host's own
                     addresses (an agent beside this process is this host),
                     and expect counts only the others; "false" lists them,
                     for several nodes on one host.  Default "true".

    A lookup multicasts a query and returns the peers that answer it with the
    same cookie, as "ip" or "ip:port" when a peer advertises a port
    ("[ip]:port" for IPv6; an IPv6 link-local address with its zone), sorted,
    without this host (see exclude_local).  Peers spread their answers over a
    window sized from the group (a few milliseconds, 40ms for 2000 peers) and
    say how many members they know, so by default a lookup returns as soon as
    that many have answered, or once a window passes without news; answers
    get lost, so it asks again those still missing, and keeps asking while
    loss is seen.  It returns at timeout at the latest; with no peer at all
    it waits for timeout.  A lookup that ends short logs what it heard
    instead (datagrams sealed with another cookie and from which hosts,
    clocks off, or nothing at all).  Datagrams carry a timestamp against
    replay, so clocks must agree within 30 seconds.  Put provider= first:
    "provider=mcgossip cookie_file=/etc/mcgossip/cookie".
`

// Help returns the provider's documentation for go-discover's help output.
func (p *Provider) Help() string { return helpText }
