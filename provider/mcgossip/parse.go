package mcgossip

import (
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/mcgossip/go-discover-mcgossip/provider/internal/keys"
	"github.com/mcgossip/go-discover-mcgossip/provider/mcgossip/wire"
)

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
	// maxAnswerJitter bounds Config.AnswerJitter (which has no key).
	maxAnswerJitter = 10 * time.Second
)

// What each key accepts: ParseConfig (on the text) and NewEngine (on a
// Config's field) apply the same rules and say the same.
const (
	acceptPort   = "must be an integer from 1 to 65535"
	acceptGroup  = "must be a multicast group, IPv4 (224.0.0.0 to 239.255.255.255, such as 230.1.1.251) or IPv6 (ff00::/8, of link-local scope or wider, such as ff02::114), or one of each, comma-separated"
	acceptIfAddr = "must be an address of this host of a family in use (IPv4, or IPv6 but not link-local), or 0.0.0.0 for any"
	acceptTTL    = "must be an integer from 0 to 255 (1 keeps datagrams on the local network)"
	acceptFamily = `must be "ipv4", "ipv6" or "dual"`
	acceptPrefer = `must be "ipv4" or "ipv6"`
	// With broadcast_only=true.
	acceptBroadcastFamily = `must be "ipv4" with broadcast_only=true: IPv6 has no broadcast`
	acceptBroadcastGroup  = `must be "255.255.255.255" (the limited broadcast address) with broadcast_only=true, or unset (each interface's broadcast address)`
	acceptBroadcastTTL    = "does not apply with broadcast_only=true (no router forwards a broadcast); remove it"
)

var (
	acceptName   = fmt.Sprintf("must be at most %d bytes of printable UTF-8", wire.MaxNameLen)
	acceptExpect = fmt.Sprintf("must be an integer from 0 (off) to %d", MaxExpect)
)

// broadcast is the limited broadcast address, which no key accepts.
var broadcast = netip.AddrFrom4([4]byte{255, 255, 255, 255})

func validPort(n int) bool          { return n >= 1 && n <= 65535 }
func validGroup4(a netip.Addr) bool { return a.Is4() && a.IsMulticast() }
func validTTL(n int) bool           { return n >= 0 && n <= 255 }
func validExpect(n int) bool        { return n >= 0 && n <= MaxExpect }

// validGroup6 accepts an IPv6 group of link-local scope or wider: scope 1
// (interface-local) never leaves the host, 0 and 15 are reserved.
func validGroup6(a netip.Addr) bool {
	if !a.Is6() || a.Is4In6() || !a.IsMulticast() || a.Zone() != "" {
		return false
	}
	scope := a.As16()[1] & 0x0f
	return scope >= 2 && scope != 0x0f
}

// validIfAddr accepts the unspecified address of either family, or a
// unicast one of a family in use (not an IPv6 link-local one, which would
// need a zone).
func validIfAddr(a netip.Addr, f Family) bool {
	switch {
	case !a.IsValid() || a.Zone() != "" || a.IsMulticast():
		return false
	case a.IsUnspecified():
		return true
	case a.Is4():
		return f.has(false) && a != broadcast
	}
	return f.has(true) && !a.Is4In6() && !a.IsLinkLocalUnicast()
}

// parseFamily parses the value of family or prefer.
func parseFamily(v string) (Family, bool) {
	for _, f := range []Family{FamilyIPv4, FamilyIPv6, FamilyDual} {
		if v == f.String() {
			return f, true
		}
	}
	return 0, false
}

// configKeys are the config keys ParseConfig accepts, sorted.
var configKeys = []string{
	"advertise", "announce", "broadcast_only", "cookie", "cookie_file", "exclude_local", "expect",
	"family", "iface", "if_addr", "interval", "multicast_addr", "multicast_ttl", "name", "port",
	"prefer", "provider", "stable", "timeout", "ttl",
}

// ParseConfig builds a Config from go-discover arguments (key=value pairs,
// including provider=mcgossip), starting from DefaultConfig. Every key is
// validated; an unknown key is an error, so a typo never silently means a
// default. Errors start with "discover-mcgossip: " and name the key, the
// value and what is accepted. The cookie comes from cookie, cookie_file or
// the MCGOSSIP_COOKIE environment variable, in that order; cookie and
// cookie_file together are an error. Cookie values never appear in errors.
func ParseConfig(args map[string]string) (*Config, error) {
	return parseConfigWith(args, readCookies)
}

// parseConfigWith is ParseConfig with the cookie_file reader given
// (a Provider remembers its files).
func parseConfigWith(args map[string]string, readFile func(string) ([]string, error)) (*Config, error) {
	c, err := parseConfig(args, readFile)
	if err != nil {
		return nil, &ConfigError{err: err}
	}
	return c, nil
}

// ConfigError is the error of a configuration that ParseConfig (or
// NewEngine) refused: an unknown key, or a value it does not accept, such
// as an interface this host does not have. Its message names the key, the
// value (never a cookie) and what is accepted.
type ConfigError struct{ err error }

// Error returns the message, prefixed "discover-mcgossip: ".
func (e *ConfigError) Error() string { return e.err.Error() }

// Unwrap returns the underlying error.
func (e *ConfigError) Unwrap() error { return e.err }

// InvalidParameter marks the error as the caller's mistake, after the
// errdefs convention, so a plugin host receives it as InvalidArgument.
func (e *ConfigError) InvalidParameter() {}

func parseConfig(args map[string]string, readFile func(string) ([]string, error)) (*Config, error) {
	if err := keyParser.CheckKeys(args); err != nil {
		return nil, err
	}
	c := DefaultConfig()
	if err := c.set(args); err != nil {
		return nil, err
	}
	if err := parseCookie(c, args, readFile); err != nil {
		return nil, err
	}
	return c, nil
}

// set validates args (known keys) and sets c from them, except the cookie
// (see parseCookie).
func (c *Config) set(args map[string]string) error {
	if v, ok := args["provider"]; ok && v != "mcgossip" {
		return invalid("provider", v, `must be "mcgossip"`)
	}
	if v, ok := args["port"]; ok {
		n, err := strconv.Atoi(v)
		if err != nil || !validPort(n) {
			return invalid("port", v, acceptPort)
		}
		c.Port = n
	}
	if err := c.setFamilies(args); err != nil {
		return err
	}
	if v, ok := args["if_addr"]; ok {
		a, err := netip.ParseAddr(v)
		if err != nil || !validIfAddr(a, c.Family) {
			return invalid("if_addr", v, acceptIfAddr)
		}
		c.IfAddr = a
	}
	ttl, hasTTL := args["ttl"]
	mttl, hasMTTL := args["multicast_ttl"]
	switch {
	case hasTTL && hasMTTL:
		return fmt.Errorf("discover-mcgossip: invalid multicast_ttl %q: multicast_ttl is an alias of ttl (%q); set only one", mttl, ttl)
	case hasMTTL:
		ttl, hasTTL = mttl, true
	}
	if hasTTL {
		key := "ttl"
		if hasMTTL {
			key = "multicast_ttl"
		}
		n, err := strconv.Atoi(ttl)
		if err != nil || !validTTL(n) {
			return invalid(key, ttl, acceptTTL)
		}
		if c.BroadcastOnly {
			return invalid(key, ttl, acceptBroadcastTTL)
		}
		c.TTL = n
	}
	if v, ok := args["iface"]; ok {
		names, err := keys.Interfaces(v)
		if err != nil {
			return invalid("iface", v, err.Error())
		}
		c.Interfaces = names
	}
	if v, ok := args["advertise"]; ok {
		a, port, err := parseAdvertise(v)
		if err != nil {
			return invalid("advertise", v, err.Error())
		}
		c.Advertise, c.AdvertisePort = a, port
	}
	if v, ok := args["name"]; ok {
		if err := wire.CheckName(v); err != nil {
			return invalid("name", v, acceptName)
		}
		c.Name = v
	}
	for _, k := range []struct {
		key string
		v   *bool
	}{{"announce", &c.Announce}, {"exclude_local", &c.ExcludeLocal}} {
		if v, ok := args[k.key]; ok {
			b, err := strconv.ParseBool(v)
			if err != nil {
				return invalid(k.key, v, `must be "true" or "false"`)
			}
			*k.v = b
		}
	}
	var err error
	if c.Interval, err = keyParser.Duration(args, "interval", c.Interval, MinInterval, MaxInterval); err != nil {
		return err
	}
	if c.Timeout, err = keyParser.Duration(args, "timeout", c.Timeout, MinTimeout, MaxTimeout); err != nil {
		return err
	}
	if c.Stable, err = keyParser.Duration(args, "stable", c.Stable, 0, MaxStable); err != nil {
		return err
	}
	if v, ok := args["expect"]; ok {
		n, err := strconv.Atoi(v)
		if err != nil || !validExpect(n) {
			return invalid("expect", v, acceptExpect)
		}
		c.Expect = n
	}
	return nil
}

// setFamilies sets the keys of the address families and groups from args:
// broadcast_only, family, multicast_addr and prefer. Without family, the
// families are those of the groups of multicast_addr (IPv4 without one).
func (c *Config) setFamilies(args map[string]string) error {
	if v, ok := args["broadcast_only"]; ok {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return invalid("broadcast_only", v, `must be "true" or "false"`)
		}
		c.BroadcastOnly = b
	}
	fam, hasFam := args["family"]
	if hasFam {
		f, ok := parseFamily(fam)
		if !ok {
			return invalid("family", fam, acceptFamily)
		}
		if c.BroadcastOnly && f != FamilyIPv4 {
			return invalid("family", fam, acceptBroadcastFamily)
		}
		c.Family = f
	}
	if v, ok := args["prefer"]; ok {
		f, ok := parseFamily(v)
		if !ok || f == FamilyDual {
			return invalid("prefer", v, acceptPrefer)
		}
		c.Prefer = f
	}
	v, ok := args["multicast_addr"]
	switch {
	case !ok:
		return nil
	case c.BroadcastOnly:
		if a, err := netip.ParseAddr(v); err != nil || a != broadcast {
			return invalid("multicast_addr", v, acceptBroadcastGroup)
		}
		c.MulticastAddr = broadcast
		return nil
	}
	var got Family
	for _, g := range strings.Split(v, ",") {
		a, err := netip.ParseAddr(g)
		switch {
		case err == nil && a == broadcast:
			return invalid("multicast_addr", v, "255.255.255.255 is the broadcast address: set broadcast_only=true to broadcast")
		case err == nil && validGroup4(a) && !got.has(false):
			c.MulticastAddr, got = a, got|FamilyIPv4
		case err == nil && validGroup6(a) && !got.has(true):
			c.MulticastAddr6, got = a, got|FamilyIPv6
		default:
			return invalid("multicast_addr", v, acceptGroup)
		}
	}
	switch {
	case !hasFam:
		c.Family = got
	case got&^c.Family != 0:
		other := "IPv6"
		if got.has(false) && !c.Family.has(false) {
			other = "IPv4"
		}
		return invalid("multicast_addr", v, fmt.Sprintf("family=%s uses no %s group; set family=dual, or leave family unset", c.Family, other))
	}
	return nil
}

// keyParser checks the keys and writes the errors, in the style the
// providers share.
var keyParser = keys.Parser{Prefix: "discover-mcgossip", Keys: configKeys, Secrets: []string{"cookie"}}

// invalid returns the house-style error for a bad value.
func invalid(key, value, accepted string) error {
	return keyParser.Invalid(key, value, accepted)
}

// acceptAdvertise is what advertise accepts.
const acceptAdvertise = `must be "ip", "ip:port" or ":port" with a unicast IP of this node (IPv6 in brackets with a port) and a port from 1 to 65535`

// checkAdvertiseAddr says what is wrong with an (unmapped) advertised IP.
// A loopback address would send every peer to itself.
func checkAdvertiseAddr(a netip.Addr) error {
	if a.Zone() != "" || a.IsUnspecified() || a.IsLoopback() || a.IsMulticast() || (a.Is6() && a.IsLinkLocalUnicast()) || a == broadcast {
		return errors.New(acceptAdvertise + "; not loopback (each peer would reach itself), unspecified, multicast, broadcast or IPv6 link-local")
	}
	return nil
}

func parseAdvertise(v string) (netip.Addr, uint16, error) {
	const accepted = acceptAdvertise
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
		if err := checkAdvertiseAddr(a); err != nil {
			return netip.Addr{}, 0, err
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
