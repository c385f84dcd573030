package mcgossip

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/mcgossip/go-discover-mcgossip/provider/mcgossip/wire"
)

// CookieEnv is the environment variable ParseConfig reads the cookie from
// when neither cookie nor cookie_file is given.
const CookieEnv = "MCGOSSIP_COOKIE"

// Limits that ParseConfig enforces.
const (
	// MinInterval and MaxInterval bound the heartbeat interval.
	MinInterval = 100 * time.Millisecond
	MaxInterval = time.Hour
	// MinTimeout and MaxTimeout bound the Addrs timeout.
	MinTimeout = 10 * time.Millisecond
	MaxTimeout = time.Hour
	// MaxStable bounds the stable period.
	MaxStable = time.Hour
	// MaxExpect bounds expect.
	MaxExpect = 100000
	// MaxCookieLen is the longest cookie, in bytes.
	MaxCookieLen = 4096
	// MaxCookies is the most cookies a cookie_file may hold: the primary and
	// MaxCookies-1 older ones.
	MaxCookies = 8
	// maxCookieFile bounds how much of a cookie_file is read.
	maxCookieFile = 64 << 10
)

// Config configures an Engine. Build one with DefaultConfig or ParseConfig;
// the zero value is not usable. A Config must not be changed after it is
// given to NewEngine.
type Config struct {
	// Port is the UDP port of the multicast group (key port).
	// Default 45892, libcluster's, so an existing firewall rule fits.
	Port int
	// MulticastAddr is the IPv4 multicast group (key multicast_addr).
	// Default 230.1.1.251, libcluster's historical default, chosen there
	// because 230.0.0.0/24 floods some switches despite IGMP snooping.
	MulticastAddr netip.Addr
	// IfAddr is the local IPv4 address the sending socket binds to (key
	// if_addr); with no Interfaces, the interface that has this address is
	// used. Default 0.0.0.0: any address, the kernel picks the interface's.
	IfAddr netip.Addr
	// TTL is the multicast TTL (keys ttl and multicast_ttl). Default 1: the
	// datagrams stay on the local network. 0 keeps them on this host.
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
	// CookieFile is the file the cookies were read from, for messages only.
	// Default "".
	CookieFile string
	// Advertise is the address this node announces (key advertise, the ip
	// part). Default invalid: none; peers use the datagram's source address,
	// that is the interface's IPv4 address.
	Advertise netip.Addr
	// AdvertisePort is the port this node announces (key advertise, the
	// port part). Default 0: none; peers report the bare address.
	AdvertisePort uint16
	// Name is an optional node name announced to peers (key name), at most
	// wire.MaxNameLen bytes of printable UTF-8. Default "".
	Name string
	// Announce makes the engine announce itself and answer queries (key
	// announce). Default true, so a process that embeds the provider stays
	// discoverable; observers (the CLI's addrs) set it to false.
	Announce bool
	// Interval is the heartbeat period, jittered by ±20 % (key interval);
	// peers silent for three intervals expire. Default 5s.
	Interval time.Duration
	// Timeout is the most Addrs (Engine.Discover) blocks (key timeout).
	// Default 5s, as go-discover's mdns provider.
	Timeout time.Duration
	// Stable ends Addrs once no new peer has turned up for this long after
	// the answer window of its last query (key stable). Default 50ms.
	Stable time.Duration
	// Expect ends Addrs as soon as this many peers are known (key expect);
	// with it set, Stable does not end Addrs early. 0 turns it off.
	// Default 0.
	Expect int
	// AnswerJitter is the longest random delay before this engine answers a
	// query, which spreads the answers of many peers (no key). Default 20ms.
	AnswerJitter time.Duration

	// rescan is the interface rescan period; 0 means defaultRescan. Tests
	// shorten it.
	rescan time.Duration
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
	// DefaultStable ends a lookup once no new peer has turned up for this
	// long: with DefaultAnswerJitter, a cold lookup of 50 peers on a LAN
	// returns in about 70 ms.
	DefaultStable = 50 * time.Millisecond
	// DefaultAnswerJitter spreads the answers to a query over 20 ms.
	DefaultAnswerJitter = 20 * time.Millisecond

	// defaultRescan is how often the interfaces are rescanned.
	defaultRescan = 2 * time.Second
)

// DefaultMulticastAddr is the default group, 230.1.1.251.
var DefaultMulticastAddr = netip.AddrFrom4([4]byte{230, 1, 1, 251})

// DefaultConfig returns the defaults of every setting; see Config for each.
func DefaultConfig() *Config {
	return &Config{
		Port:          DefaultPort,
		MulticastAddr: DefaultMulticastAddr,
		IfAddr:        netip.IPv4Unspecified(),
		TTL:           DefaultTTL,
		Announce:      true,
		Interval:      DefaultInterval,
		Timeout:       DefaultTimeout,
		Stable:        DefaultStable,
		AnswerJitter:  DefaultAnswerJitter,
	}
}

// configKeys are the config keys ParseConfig accepts, sorted.
var configKeys = []string{
	"advertise", "announce", "cookie", "cookie_file", "expect", "iface", "if_addr",
	"interval", "multicast_addr", "multicast_ttl", "name", "port", "provider",
	"stable", "timeout", "ttl",
}

// ParseConfig builds a Config from go-discover arguments (key=value pairs,
// including provider=mcgossip), starting from DefaultConfig. Every key is
// validated; an unknown key is an error, so a typo never silently means a
// default. Errors start with "discover-mcgossip: " and name the key, the
// value and what is accepted. The cookie comes from cookie, cookie_file or
// the MCGOSSIP_COOKIE environment variable, in that order; cookie and
// cookie_file together are an error. Cookie values never appear in errors.
func ParseConfig(args map[string]string) (*Config, error) {
	c, err := parseConfig(args)
	if err != nil {
		return nil, &ConfigError{err: err}
	}
	return c, nil
}

// ConfigError is the error of a configuration that ParseConfig refused: an
// unknown key, or a value it does not accept. Its message names the key,
// the value (never a cookie) and what is accepted.
type ConfigError struct{ err error }

// Error returns the message, prefixed "discover-mcgossip: ".
func (e *ConfigError) Error() string { return e.err.Error() }

// Unwrap returns the underlying error.
func (e *ConfigError) Unwrap() error { return e.err }

// InvalidParameter marks the error as the caller's mistake, after the
// errdefs convention, so a plugin host receives it as InvalidArgument.
func (e *ConfigError) InvalidParameter() {}

func parseConfig(args map[string]string) (*Config, error) {
	var unknown []string
	for k := range args {
		if !slices.Contains(configKeys, k) {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) > 0 {
		slices.Sort(unknown)
		return nil, unknownKeyError(unknown)
	}
	c := DefaultConfig()
	get := func(k string) (string, bool) { v, ok := args[k]; return v, ok }

	if v, ok := get("provider"); ok && v != "mcgossip" {
		return nil, invalid("provider", v, `must be "mcgossip"`)
	}
	if v, ok := get("port"); ok {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 65535 {
			return nil, invalid("port", v, "must be an integer from 1 to 65535")
		}
		c.Port = n
	}
	if v, ok := get("multicast_addr"); ok {
		a, err := netip.ParseAddr(v)
		if err != nil || !a.Is4() || !a.IsMulticast() {
			return nil, invalid("multicast_addr", v, "must be an IPv4 multicast address, from 224.0.0.0 to 239.255.255.255, such as 230.1.1.251")
		}
		c.MulticastAddr = a
	}
	if v, ok := get("if_addr"); ok {
		a, err := netip.ParseAddr(v)
		if err != nil || !a.Is4() || a.IsMulticast() || a == netip.AddrFrom4([4]byte{255, 255, 255, 255}) {
			return nil, invalid("if_addr", v, "must be an IPv4 address of this host, or 0.0.0.0 for any")
		}
		c.IfAddr = a
	}
	ttl, hasTTL := get("ttl")
	mttl, hasMTTL := get("multicast_ttl")
	switch {
	case hasTTL && hasMTTL:
		return nil, fmt.Errorf("discover-mcgossip: invalid multicast_ttl %q: multicast_ttl is an alias of ttl (%q); set only one", mttl, ttl)
	case hasMTTL:
		ttl, hasTTL = mttl, true
	}
	if hasTTL {
		key := "ttl"
		if hasMTTL {
			key = "multicast_ttl"
		}
		n, err := strconv.Atoi(ttl)
		if err != nil || n < 0 || n > 255 {
			return nil, invalid(key, ttl, "must be an integer from 0 to 255 (1 keeps datagrams on the local network)")
		}
		c.TTL = n
	}
	if v, ok := get("iface"); ok {
		names, err := parseIfaces(v)
		if err != nil {
			return nil, invalid("iface", v, err.Error())
		}
		c.Interfaces = names
	}
	if err := parseCookie(c, args); err != nil {
		return nil, err
	}
	if v, ok := get("advertise"); ok {
		a, port, err := parseAdvertise(v)
		if err != nil {
			return nil, invalid("advertise", v, err.Error())
		}
		c.Advertise, c.AdvertisePort = a, port
	}
	if v, ok := get("name"); ok {
		if err := wire.CheckName(v); err != nil {
			return nil, invalid("name", v, fmt.Sprintf("must be at most %d bytes of printable UTF-8", wire.MaxNameLen))
		}
		c.Name = v
	}
	if v, ok := get("announce"); ok {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return nil, invalid("announce", v, `must be "true" or "false"`)
		}
		c.Announce = b
	}
	var err error
	if c.Interval, err = parseDuration(args, "interval", c.Interval, MinInterval, MaxInterval); err != nil {
		return nil, err
	}
	if c.Timeout, err = parseDuration(args, "timeout", c.Timeout, MinTimeout, MaxTimeout); err != nil {
		return nil, err
	}
	if c.Stable, err = parseDuration(args, "stable", c.Stable, 0, MaxStable); err != nil {
		return nil, err
	}
	if v, ok := get("expect"); ok {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > MaxExpect {
			return nil, invalid("expect", v, fmt.Sprintf("must be an integer from 0 (off) to %d", MaxExpect))
		}
		c.Expect = n
	}
	return c, nil
}

// invalid returns the house-style error for a bad value.
func invalid(key, value, accepted string) error {
	return fmt.Errorf("discover-mcgossip: invalid %s %q: %s", key, value, accepted)
}

func unknownKeyError(keys []string) error {
	var b strings.Builder
	b.WriteString("discover-mcgossip: unknown key")
	if len(keys) > 1 {
		b.WriteString("s")
	}
	for i, k := range keys {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, " %q", k)
		if s := suggest(k); s != "" {
			fmt.Fprintf(&b, " (did you mean %q?)", s)
		}
	}
	b.WriteString(": accepted keys are ")
	b.WriteString(strings.Join(configKeys, ", "))
	return errors.New(b.String())
}

// suggest returns the accepted key closest to k, if it is close.
func suggest(k string) string {
	k = strings.ToLower(k)
	best, bestD := "", max(2, len(k)/4)+1
	for _, a := range configKeys {
		if d := editDistance(k, a); d < bestD {
			best, bestD = a, d
		}
	}
	return best
}

// editDistance is the optimal string alignment distance: insertions,
// deletions, substitutions and transpositions of adjacent bytes.
func editDistance(a, b string) int {
	d := make([][]int, len(a)+1)
	for i := range d {
		d[i] = make([]int, len(b)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(a); i++ {
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(a)][len(b)]
}

func parseDuration(args map[string]string, key string, def, lo, hi time.Duration) (time.Duration, error) {
	v, ok := args[key]
	if !ok {
		return def, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < lo || d > hi {
		return 0, invalid(key, v, fmt.Sprintf("must be a duration such as \"5s\" or \"250ms\", from %v to %v", fmtDur(lo), fmtDur(hi)))
	}
	return d, nil
}

// fmtDur prints a limit briefly: 1h rather than 1h0m0s.
func fmtDur(d time.Duration) string {
	s := d.String()
	s = strings.TrimSuffix(s, "0s")
	s = strings.TrimSuffix(s, "0m")
	if s == "" {
		return "0s"
	}
	return s
}

func parseIfaces(v string) ([]string, error) {
	var names []string
	for n := range strings.SplitSeq(v, ",") {
		switch {
		case n == "":
			return nil, errors.New(`must be a comma-separated list of interface names, such as "eth0" or "eth0,eth1", without empty entries`)
		case len(n) > 15 || n == "." || n == ".." || strings.ContainsAny(n, "/:") || strings.ContainsFunc(n, unicode.IsSpace):
			return nil, fmt.Errorf("%q is not an interface name: at most 15 characters, no space, '/' or ':'", n)
		case slices.Contains(names, n):
			return nil, fmt.Errorf("%q is listed twice", n)
		}
		names = append(names, n)
	}
	return names, nil
}

func parseAdvertise(v string) (netip.Addr, uint16, error) {
	const accepted = `must be "ip", "ip:port" or ":port" with a unicast IP of this node (IPv6 in brackets with a port) and a port from 1 to 65535`
	var (
		a       netip.Addr
		portStr string
		err     error
	)
	switch {
	case strings.HasPrefix(v, ":") && !strings.Contains(v[1:], ":"):
		portStr = v[1:]
	case strings.Count(v, ":") == 1 || strings.HasPrefix(v, "["):
		i := strings.LastIndexByte(v, ':')
		if i < 0 {
			return a, 0, errors.New(accepted)
		}
		host := strings.TrimSuffix(strings.TrimPrefix(v[:i], "["), "]")
		if a, err = netip.ParseAddr(host); err != nil || (strings.HasPrefix(v, "[") != a.Is6()) {
			return netip.Addr{}, 0, errors.New(accepted)
		}
		portStr = v[i+1:]
	default:
		if a, err = netip.ParseAddr(v); err != nil {
			return a, 0, errors.New(accepted)
		}
	}
	if a.IsValid() {
		a = a.Unmap()
		if a.Zone() != "" || a.IsUnspecified() || a.IsMulticast() || (a.Is6() && a.IsLinkLocalUnicast()) ||
			a == netip.AddrFrom4([4]byte{255, 255, 255, 255}) {
			return netip.Addr{}, 0, errors.New(accepted + "; not unspecified, multicast, broadcast or IPv6 link-local")
		}
	}
	var port uint16
	if portStr != "" || strings.HasSuffix(v, ":") {
		n, err := strconv.Atoi(portStr)
		if err != nil || n < 1 || n > 65535 {
			return netip.Addr{}, 0, errors.New(accepted)
		}
		port = uint16(n)
	}
	return a, port, nil
}

// parseCookie fills c.Cookie, c.OldCookies and c.CookieFile from cookie,
// cookie_file or the environment.
func parseCookie(c *Config, args map[string]string) error {
	cookie, hasCookie := args["cookie"]
	file, hasFile := args["cookie_file"]
	switch {
	case hasCookie && hasFile:
		return errors.New("discover-mcgossip: invalid cookie_file: cookie and cookie_file are both set; set only one (cookie_file keeps the cookie off command lines)")
	case hasCookie:
		if err := checkCookie(cookie); err != nil {
			return fmt.Errorf("discover-mcgossip: invalid cookie (value not shown): %w", err)
		}
		c.Cookie = cookie
	case hasFile:
		cookies, err := readCookieFile(file)
		if err != nil {
			return fmt.Errorf("discover-mcgossip: invalid cookie_file %q: %w", file, err)
		}
		c.Cookie, c.OldCookies, c.CookieFile = cookies[0], cookies[1:], file
	default:
		if env := os.Getenv(CookieEnv); env != "" {
			if err := checkCookie(env); err != nil {
				return fmt.Errorf("discover-mcgossip: invalid %s (value not shown): %w", CookieEnv, err)
			}
			c.Cookie = env
		}
	}
	return nil
}

func checkCookie(s string) error {
	switch {
	case s == "":
		return errors.New("must not be empty; omit it for an open group")
	case len(s) > MaxCookieLen:
		return fmt.Errorf("is %d bytes long; must be at most %d bytes", len(s), MaxCookieLen)
	}
	return nil
}

// readCookieFile returns the cookies of a cookie file: its non-empty lines,
// trimmed of surrounding white space, the first one primary.
func readCookieFile(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("must be a readable file: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxCookieFile+1))
	if err != nil {
		return nil, fmt.Errorf("must be a readable file: %w", err)
	}
	if len(data) > maxCookieFile {
		return nil, fmt.Errorf("must be at most %d bytes: one cookie a line", maxCookieFile)
	}
	var cookies []string
	for line := range bytes.SplitSeq(data, []byte("\n")) {
		s := strings.TrimSpace(string(line))
		if s == "" || slices.Contains(cookies, s) {
			continue
		}
		if err := checkCookie(s); err != nil {
			return nil, fmt.Errorf("line %d (value not shown) %w", len(cookies)+1, err)
		}
		cookies = append(cookies, s)
	}
	switch {
	case len(cookies) == 0:
		return nil, errors.New("must hold a cookie on its first non-empty line; the file is empty or blank")
	case len(cookies) > MaxCookies:
		return nil, fmt.Errorf("holds %d cookies; at most %d are accepted (the current one and %d older ones)", len(cookies), MaxCookies, MaxCookies-1)
	}
	return cookies, nil
}

// check validates a Config given to NewEngine (ParseConfig's output always
// passes). Its errors follow ParseConfig's.
func (c *Config) check() error {
	switch {
	case c == nil:
		return errors.New("discover-mcgossip: nil config")
	case c.Port < 1 || c.Port > 65535:
		return invalid("port", strconv.Itoa(c.Port), "must be an integer from 1 to 65535")
	case !c.MulticastAddr.Is4() || !c.MulticastAddr.IsMulticast():
		return invalid("multicast_addr", c.MulticastAddr.String(), "must be an IPv4 multicast address")
	case !c.IfAddr.Is4() || c.IfAddr.IsMulticast():
		return invalid("if_addr", c.IfAddr.String(), "must be an IPv4 address of this host, or 0.0.0.0 for any")
	case c.TTL < 0 || c.TTL > 255:
		return invalid("ttl", strconv.Itoa(c.TTL), "must be an integer from 0 to 255")
	case c.Advertise.IsValid() && (c.Advertise.Is4In6() || c.Advertise.IsUnspecified() || c.Advertise.Zone() != "" || c.Advertise.IsMulticast()):
		return invalid("advertise", c.Advertise.String(), "must be a unicast address without a zone")
	case wire.CheckName(c.Name) != nil:
		return invalid("name", c.Name, fmt.Sprintf("must be at most %d bytes of printable UTF-8", wire.MaxNameLen))
	case c.Interval <= 0:
		return invalid("interval", c.Interval.String(), "must be positive")
	case c.Timeout <= 0:
		return invalid("timeout", c.Timeout.String(), "must be positive")
	case c.Stable < 0:
		return invalid("stable", c.Stable.String(), "must not be negative")
	case c.Expect < 0:
		return invalid("expect", strconv.Itoa(c.Expect), "must not be negative")
	case c.AnswerJitter < 0:
		return invalid("answer jitter", c.AnswerJitter.String(), "must not be negative")
	case len(c.Cookie) > MaxCookieLen:
		return errors.New("discover-mcgossip: invalid cookie (value not shown): too long")
	}
	if _, err := parseIfaces(strings.Join(c.Interfaces, ",")); len(c.Interfaces) > 0 && err != nil {
		return invalid("iface", strings.Join(c.Interfaces, ","), err.Error())
	}
	return nil
}

// String returns the configuration as go-discover arguments, provider
// first, with the cookie hidden. Defaults are left out.
func (c *Config) String() string {
	d := DefaultConfig()
	parts := []string{"provider=mcgossip"}
	add := func(k, v string) {
		if strings.ContainsAny(v, " \"\\=`") {
			v = strconv.Quote(v)
		}
		parts = append(parts, k+"="+v)
	}
	if c.Port != d.Port {
		add("port", strconv.Itoa(c.Port))
	}
	if c.MulticastAddr != d.MulticastAddr {
		add("multicast_addr", c.MulticastAddr.String())
	}
	if c.IfAddr != d.IfAddr {
		add("if_addr", c.IfAddr.String())
	}
	if c.TTL != d.TTL {
		add("ttl", strconv.Itoa(c.TTL))
	}
	if len(c.Interfaces) > 0 {
		add("iface", strings.Join(c.Interfaces, ","))
	}
	switch {
	case c.CookieFile != "":
		add("cookie_file", c.CookieFile)
	case c.Cookie != "":
		add("cookie", "<hidden>")
	}
	switch {
	case c.Advertise.IsValid() && c.AdvertisePort != 0:
		add("advertise", netip.AddrPortFrom(c.Advertise, c.AdvertisePort).String())
	case c.Advertise.IsValid():
		add("advertise", c.Advertise.String())
	case c.AdvertisePort != 0:
		add("advertise", ":"+strconv.Itoa(int(c.AdvertisePort)))
	}
	if c.Name != "" {
		add("name", c.Name)
	}
	if c.Announce != d.Announce {
		add("announce", strconv.FormatBool(c.Announce))
	}
	if c.Interval != d.Interval {
		add("interval", c.Interval.String())
	}
	if c.Timeout != d.Timeout {
		add("timeout", c.Timeout.String())
	}
	if c.Stable != d.Stable {
		add("stable", c.Stable.String())
	}
	if c.Expect != d.Expect {
		add("expect", strconv.Itoa(c.Expect))
	}
	return strings.Join(parts, " ")
}

// engineKey identifies the network identity of an engine: two Addrs calls
// whose configs have the same key share an engine. Per-call settings
// (timeout, stable, expect) are not part of it.
func (c *Config) engineKey() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d|%s|%s|%d|%s|%s|%d|%q|%t|%d|%d|%d",
		c.Port, c.MulticastAddr, c.IfAddr, c.TTL, strings.Join(c.Interfaces, ","),
		c.Advertise, c.AdvertisePort, c.Name, c.Announce, c.Interval, c.AnswerJitter, c.rescan)
	for _, k := range append([]string{c.Cookie}, c.OldCookies...) {
		fmt.Fprintf(&b, "|%q", k)
	}
	return b.String()
}
