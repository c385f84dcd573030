package mcgossip

import (
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/mcgossip/go-discover-mcgossip/provider/internal/keys"
	"github.com/mcgossip/go-discover-mcgossip/provider/internal/mcast"
	"github.com/mcgossip/go-discover-mcgossip/provider/mcgossip/wire"
)

// Config configures an Engine. Build one with DefaultConfig or ParseConfig;
// the zero value is not usable. A Config must not be changed after it is
// given to NewEngine.
type Config struct {
	// Port is the UDP port of the multicast group (key port).
	// Default 45892, libcluster's, so an existing firewall rule fits.
	Port int
	// MulticastAddr is the IPv4 multicast group (key multicast_addr, its
	// IPv4 group), used when Family has IPv4. Default 230.1.1.251,
	// libcluster's historical default, chosen there because 230.0.0.0/24
	// floods some switches despite IGMP snooping. With BroadcastOnly,
	// 255.255.255.255 sends to the limited broadcast address, and any
	// other value (the default) to each interface's broadcast address.
	MulticastAddr netip.Addr
	// MulticastAddr6 is the IPv6 multicast group (key multicast_addr, its
	// IPv6 group), used when Family has IPv6. Default ff02::114 (see
	// DefaultMulticastAddr6 for why).
	MulticastAddr6 netip.Addr
	// Family is the address families the engine uses (key family): its
	// groups, its sockets and the endpoints it seals. With both
	// (FamilyDual) a lookup queries on both groups and merges what it
	// hears, an announce goes to both, sealed with an endpoint of each,
	// and a peer heard on both is one peer. Default FamilyIPv4.
	Family Family
	// Prefer is the family of the address a peer is listed by when its
	// datagrams carry an endpoint of both (a dual-stack peer): FamilyIPv4
	// or FamilyIPv6 (key prefer). An advertised address always wins.
	// Default FamilyIPv4.
	Prefer Family
	// BroadcastOnly sends to an IPv4 broadcast address, with SO_BROADCAST,
	// instead of the group, and receives every broadcast to Port (key
	// broadcast_only, libcluster's name): for networks that drop
	// multicast. The sealed protocol is the same (cookie, replay
	// protection, sealed identity); TTL does not apply. IPv4 only.
	// Default false.
	BroadcastOnly bool
	// IfAddr is the local address the unicast socket of its family binds
	// to (key if_addr), IPv4 or IPv6; with no Interfaces, the interface
	// that has this address is used (by both families). Default 0.0.0.0:
	// any address, the kernel picks the interface's (and :: for IPv6).
	IfAddr netip.Addr
	// TTL is the multicast TTL, and the IPv6 hop limit (keys ttl and
	// multicast_ttl). Default 1: the datagrams stay on the local network.
	// 0 keeps them on this host. It does not apply to broadcast.
	TTL int
	// Interfaces are the names of the interfaces to join the group on and
	// send on (key iface, comma-separated). Default none: the interface the
	// kernel routes the group to (or the one that has IfAddr).
	Interfaces []string
	// Cookie is the shared secret (key cookie, or the first line of
	// cookie_file, or $MCGOSSIP_COOKIE). Datagrams are sealed with a key
	// derived from it. Default "": an open group, with a warning.
	Cookie string
	// OldCookies are older cookies whose datagrams are still accepted, for
	// rotation (the further lines of cookie_file). To roll a cookie out:
	// add the new one as a further line everywhere; then make it the first
	// line everywhere (keeping the old one after it); then drop the old
	// one. Default none.
	OldCookies []string
	// CookieFile is the file Cookie and OldCookies were read from (key
	// cookie_file). Engine.ReloadCookies reads it again (the agent does on
	// SIGHUP), the Provider keys its engines by it and replaces an engine
	// when the file's cookies changed, and messages name it. Default "":
	// the cookie came from cookie= or $MCGOSSIP_COOKIE, and ReloadCookies
	// fails with ErrNoCookieFile.
	CookieFile string
	// Advertise is the address this node announces (key advertise, the ip
	// part), IPv4 or IPv6. Default invalid: none; peers list the address
	// of a unicast endpoint sealed in its datagrams (never the datagram's
	// source): if_addr, else the address, of the datagram's family, of the
	// interface the datagram leaves on. When a dual-stack node's datagrams
	// carry an endpoint of each family, lookups list the one of their own
	// Prefer family.
	Advertise netip.Addr
	// AdvertisePort is the port this node announces (key advertise, the
	// port part). Default 0: none; peers report the bare address.
	AdvertisePort uint16
	// Name is the node name announced to peers (key name), at most
	// wire.MaxNameLen bytes of printable UTF-8; "" for none. Default this
	// host's name (os.Hostname), cut to wire.MaxNameLen bytes, or "" when
	// it is not printable.
	Name string
	// Announce makes the engine announce itself and answer queries (key
	// announce). Default true, so a process that embeds the provider stays
	// discoverable; observers (the CLI's addrs) set it to false.
	Announce bool
	// Interval is the heartbeat period, jittered by ±20 % (key interval).
	// It travels in the datagrams: peers expire this engine after three of
	// its intervals of silence, whatever their own. Default 5s.
	Interval time.Duration
	// Timeout is the most Addrs (Engine.Discover) blocks (key timeout).
	// Default 5s, as go-discover's mdns provider.
	Timeout time.Duration
	// Stable, when set, ends Addrs once no new peer has turned up for this
	// long after its last round of queries (key stable). Default 0: the
	// answers decide: Addrs returns as soon as the peers that answered are
	// as many as the members the answers report, or once a round's answer
	// window has passed without news (Engine.Discover).
	Stable time.Duration
	// Expect ends Addrs as soon as this many peers are known (key expect);
	// with it set, Stable does not end Addrs early. 0 turns it off.
	// Default 0.
	Expect int
	// ExcludeLocal makes Addrs (Engine.Discover) leave out the peers whose
	// address belongs to one of this host's interfaces (key
	// exclude_local): an agent beside a server is that server. Expect then
	// counts the other hosts' peers only. Turn it off for several nodes on
	// one host (tests, benchmarks). Default true.
	ExcludeLocal bool
	// AnswerJitter is the smallest answer window this engine sizes (no
	// key): its answers to a query that asks for no window are spread over
	// the larger of it and 20 µs per live member it knows, and its lookups
	// ask for windows sized alike (window.go). Default 2ms.
	AnswerJitter time.Duration
	// Logger, when set, receives the engine's log as slog records: each
	// with the message a *log.Logger would get (it says everything), the
	// attribute module=discover-mcgossip and fields that repeat the
	// message's variable parts (a peer's id, address and name, a drop's
	// reason and source, a lookup's counts; see Peer.LogValue and
	// Heard.LogValue). NewEngine's *log.Logger is then not used. A host
	// that logs structured sets it, as memberlist's Config carries its
	// logger; go-discover's Addrs has only a *log.Logger, so the Provider
	// logs text lines (no key). Default nil.
	Logger *slog.Logger

	// rescan is the interface polling period where rtnetlink cannot
	// report changes; 0 means mcast.DefaultRescan. Tests change it.
	rescan time.Duration
	// lookupFirst holds the engine's first announce until its first
	// lookup ends (at most maxAnnounceHold): Provider.Addrs starts an
	// engine to look the group up at once.
	lookupFirst bool
}

// Defaults (see the Config fields for why).
const (
	// DefaultPort is libcluster's gossip port.
	DefaultPort = 45892
	// DefaultTTL keeps datagrams on the local network.
	DefaultTTL = 1
	// DefaultInterval is the heartbeat period: a few datagrams a minute
	// per node, and a dead node forgotten within 15 seconds.
	DefaultInterval = 5 * time.Second
	// DefaultTimeout is the most a lookup blocks, as go-discover's mdns.
	DefaultTimeout = 5 * time.Second
	// DefaultStable is 0: a lookup ends when its answers show that it has
	// every member, not after a fixed quiet period.
	DefaultStable = 0
	// DefaultAnswerJitter is the smallest answer window, 2 ms: a small
	// group's answers arrive within it, and a LAN's round trip is well
	// under it. Groups above 100 members get 20 µs a member.
	DefaultAnswerJitter = 2 * time.Millisecond
)

// DefaultMulticastAddr is the default group, 230.1.1.251.
var DefaultMulticastAddr = netip.AddrFrom4([4]byte{230, 1, 1, 251})

// DefaultMulticastAddr6 is the default IPv6 group, ff02::114: IANA's
// "any private experiment" group (ff0X::114) at link-local scope.
//
// Why this one: link-local scope keeps the datagrams on the link by
// definition (no router forwards ff02::/16, whatever the hop limit), as
// TTL 1 does for IPv4, and needs no multicast routing or site policy. A
// group of its own, not all-nodes (ff02::1), lets NICs and MLD-snooping
// switches filter it, so hosts that run no engine never see it.
// libcluster has no IPv6 group to stay compatible with. Other
// experiments may use ff02::114 too: their datagrams are dropped unread
// (wrong magic or key id, and counted), as a foreign cookie's are on the
// IPv4 group. The lab checks of this project use it explicitly too.
var DefaultMulticastAddr6 = netip.MustParseAddr("ff02::114")

// Family is a set of address families: the IPv4 family, the IPv6 one, or
// both.
type Family uint8

// The families.
const (
	FamilyIPv4 Family = 1 << iota
	FamilyIPv6
	// FamilyDual is both.
	FamilyDual = FamilyIPv4 | FamilyIPv6
)

// String returns "ipv4", "ipv6" or "dual", as the keys family and prefer
// take them.
func (f Family) String() string {
	switch f {
	case FamilyIPv4:
		return "ipv4"
	case FamilyIPv6:
		return "ipv6"
	case FamilyDual:
		return "dual"
	}
	return "family(" + strconv.Itoa(int(f)) + ")"
}

// has reports whether f includes the family of IPv6 when v6, else IPv4.
func (f Family) has(v6 bool) bool {
	if v6 {
		return f&FamilyIPv6 != 0
	}
	return f&FamilyIPv4 != 0
}

// DefaultConfig returns the defaults of every setting; see Config for each.
func DefaultConfig() *Config {
	return &Config{
		Port:           DefaultPort,
		MulticastAddr:  DefaultMulticastAddr,
		MulticastAddr6: DefaultMulticastAddr6,
		Family:         FamilyIPv4,
		Prefer:         FamilyIPv4,
		IfAddr:         netip.IPv4Unspecified(),
		TTL:            DefaultTTL,
		Announce:       true,
		Interval:       DefaultInterval,
		Timeout:        DefaultTimeout,
		Stable:         DefaultStable,
		ExcludeLocal:   true,
		Name:           hostName(),
		AnswerJitter:   DefaultAnswerJitter,
	}
}

// hostName returns os.Hostname as a node name (see nodeName).
func hostName() string {
	h, err := os.Hostname()
	if err != nil {
		return ""
	}
	return nodeName(h)
}

// nodeName returns h as a node name the wire accepts: cut to
// wire.MaxNameLen bytes (at a character boundary), or "" when it is not
// printable UTF-8.
func nodeName(h string) string {
	if len(h) > wire.MaxNameLen {
		h = h[:wire.MaxNameLen]
		for !utf8.ValidString(h) {
			h = h[:len(h)-1] // a character cut in two
		}
	}
	if wire.CheckName(h) != nil {
		return ""
	}
	return h
}

// validate checks a Config given to NewEngine field by field, with the
// rules and the errors of ParseConfig (whose output always passes), as a
// *ConfigError naming the key; it also checks AnswerJitter, which has no
// key.
func (c *Config) validate() error {
	if c == nil {
		return &ConfigError{err: errors.New("discover-mcgossip: invalid config: must not be nil")}
	}
	if err := c.validateFields(); err != nil {
		return &ConfigError{err: err}
	}
	return nil
}

func (c *Config) validateFields() error {
	switch {
	case !validPort(c.Port):
		return invalid("port", strconv.Itoa(c.Port), acceptPort)
	case c.Family != FamilyIPv4 && c.Family != FamilyIPv6 && c.Family != FamilyDual:
		return invalid("family", c.Family.String(), acceptFamily)
	case c.BroadcastOnly && c.Family != FamilyIPv4:
		return invalid("family", c.Family.String(), acceptBroadcastFamily)
	case c.Family.has(false) && !c.BroadcastOnly && !validGroup4(c.MulticastAddr):
		return invalid("multicast_addr", c.MulticastAddr.String(), acceptGroup)
	case c.Family.has(true) && !validGroup6(c.MulticastAddr6):
		return invalid("multicast_addr", c.MulticastAddr6.String(), acceptGroup)
	case c.Prefer != FamilyIPv4 && c.Prefer != FamilyIPv6:
		return invalid("prefer", c.Prefer.String(), acceptPrefer)
	case !validIfAddr(c.IfAddr, c.Family):
		return invalid("if_addr", c.IfAddr.String(), acceptIfAddr)
	case !validTTL(c.TTL):
		return invalid("ttl", strconv.Itoa(c.TTL), acceptTTL)
	}
	if err := keys.CheckInterfaces(c.Interfaces); err != nil {
		return invalid("iface", strings.Join(c.Interfaces, ","), err.Error())
	}
	if c.Advertise.IsValid() {
		if err := checkAdvertiseAddr(c.Advertise.Unmap()); err != nil {
			return invalid("advertise", c.advertise(), err.Error())
		}
	}
	if err := wire.CheckName(c.Name); err != nil {
		return invalid("name", c.Name, acceptName)
	}
	for _, d := range []struct {
		key    string
		v      time.Duration
		lo, hi time.Duration
	}{
		{"interval", c.Interval, MinInterval, MaxInterval},
		{"timeout", c.Timeout, MinTimeout, MaxTimeout},
		{"stable", c.Stable, 0, MaxStable},
	} {
		if d.v < d.lo || d.v > d.hi {
			return invalid(d.key, d.v.String(), keys.AcceptDuration(d.lo, d.hi))
		}
	}
	if !validExpect(c.Expect) {
		return invalid("expect", strconv.Itoa(c.Expect), acceptExpect)
	}
	if c.AnswerJitter < 0 || c.AnswerJitter > maxAnswerJitter {
		return fmt.Errorf("discover-mcgossip: invalid answer jitter %v: must be from 0s to %v", c.AnswerJitter, maxAnswerJitter)
	}
	if err := checkCookie(c.Cookie); c.Cookie != "" && err != nil {
		return fmt.Errorf("discover-mcgossip: invalid cookie (value not shown): %w", err)
	}
	for _, k := range c.OldCookies {
		if err := checkCookie(k); err != nil {
			return fmt.Errorf("discover-mcgossip: invalid older cookie (value not shown): %w", err)
		}
	}
	return nil
}

// setting is one key=value argument of a Config.
type setting struct{ key, value string }

// settings returns c's settings that differ from the defaults, as the
// arguments ParseConfig reads them, in Help's order. The cookie's value is
// never among them: a cookie shows as cookie=<hidden>, or as the
// cookie_file it came from.
func (c *Config) settings() []setting {
	d := DefaultConfig()
	var out []setting
	add := func(differs bool, key, value string) {
		if differs {
			out = append(out, setting{key, value})
		}
	}
	add(c.Port != d.Port, "port", strconv.Itoa(c.Port))
	groups, differs := c.groups()
	add(differs, "multicast_addr", strings.Join(groups, ","))
	add(c.Family != d.Family, "family", c.Family.String())
	add(c.Prefer != d.Prefer, "prefer", c.Prefer.String())
	add(c.BroadcastOnly, "broadcast_only", "true")
	add(c.IfAddr != d.IfAddr, "if_addr", c.IfAddr.String())
	add(c.TTL != d.TTL && !c.BroadcastOnly, "ttl", strconv.Itoa(c.TTL))
	add(len(c.Interfaces) > 0, "iface", strings.Join(c.Interfaces, ","))
	add(c.CookieFile != "", "cookie_file", c.CookieFile)
	add(c.CookieFile == "" && c.Cookie != "", "cookie", "<hidden>")
	add(c.Advertise.IsValid() || c.AdvertisePort != 0, "advertise", c.advertise())
	add(c.Name != d.Name, "name", c.Name)
	add(c.Announce != d.Announce, "announce", strconv.FormatBool(c.Announce))
	add(c.Interval != d.Interval, "interval", c.Interval.String())
	add(c.Timeout != d.Timeout, "timeout", c.Timeout.String())
	add(c.Stable != d.Stable, "stable", c.Stable.String())
	add(c.Expect != d.Expect, "expect", strconv.Itoa(c.Expect))
	add(c.ExcludeLocal != d.ExcludeLocal, "exclude_local", strconv.FormatBool(c.ExcludeLocal))
	return out
}

// groups returns the groups of the families in use, as multicast_addr
// takes them, and whether one of them is not its family's default.
func (c *Config) groups() (groups []string, differs bool) {
	if c.BroadcastOnly {
		if c.MulticastAddr == mcast.LimitedBroadcast {
			return []string{mcast.LimitedBroadcast.String()}, true
		}
		return nil, false
	}
	if c.Family.has(false) {
		groups = append(groups, c.MulticastAddr.String())
		differs = c.MulticastAddr != DefaultMulticastAddr
	}
	if c.Family.has(true) {
		groups = append(groups, c.MulticastAddr6.String())
		differs = differs || c.MulticastAddr6 != DefaultMulticastAddr6
	}
	return groups, differs
}

// Groups describes where an engine of c multicasts, for messages:
// "230.1.1.251:45892", "[ff02::114]:45892", both joined by " and ", or
// "broadcast to port 45892" ("broadcast to 255.255.255.255:45892").
func (c *Config) Groups() string {
	if c.BroadcastOnly {
		if c.MulticastAddr == mcast.LimitedBroadcast {
			return "broadcast to " + netip.AddrPortFrom(mcast.LimitedBroadcast, uint16(c.Port)).String()
		}
		return "broadcast to port " + strconv.Itoa(c.Port)
	}
	var out []string
	if c.Family.has(false) {
		out = append(out, netip.AddrPortFrom(c.MulticastAddr, uint16(c.Port)).String())
	}
	if c.Family.has(true) {
		out = append(out, netip.AddrPortFrom(c.MulticastAddr6, uint16(c.Port)).String())
	}
	return strings.Join(out, " and ")
}

// advertise returns the advertise setting: "ip", "ip:port" or ":port".
func (c *Config) advertise() string {
	switch {
	case c.AdvertisePort == 0:
		return c.Advertise.String()
	case c.Advertise.IsValid():
		return netip.AddrPortFrom(c.Advertise, c.AdvertisePort).String()
	}
	return ":" + strconv.Itoa(int(c.AdvertisePort))
}

// String returns the configuration as go-discover arguments, provider
// first, with the cookie hidden. Defaults are left out.
func (c *Config) String() string {
	parts := []string{"provider=mcgossip"}
	for _, s := range c.settings() {
		v := s.value
		if v == "" || strings.ContainsAny(v, " \"\\=`") {
			v = strconv.Quote(v)
		}
		parts = append(parts, s.key+"="+v)
	}
	return strings.Join(parts, " ")
}
