package mcgossip

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

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
	acceptGroup  = "must be an IPv4 multicast address, from 224.0.0.0 to 239.255.255.255, such as 230.1.1.251"
	acceptIfAddr = "must be an IPv4 address of this host, or 0.0.0.0 for any"
	acceptTTL    = "must be an integer from 0 to 255 (1 keeps datagrams on the local network)"
)

var (
	acceptName   = fmt.Sprintf("must be at most %d bytes of printable UTF-8", wire.MaxNameLen)
	acceptExpect = fmt.Sprintf("must be an integer from 0 (off) to %d", MaxExpect)
)

// broadcast is the limited broadcast address, which no key accepts.
var broadcast = netip.AddrFrom4([4]byte{255, 255, 255, 255})

func validPort(n int) bool          { return n >= 1 && n <= 65535 }
func validGroup(a netip.Addr) bool  { return a.Is4() && a.IsMulticast() }
func validIfAddr(a netip.Addr) bool { return a.Is4() && !a.IsMulticast() && a != broadcast }
func validTTL(n int) bool           { return n >= 0 && n <= 255 }
func validExpect(n int) bool        { return n >= 0 && n <= MaxExpect }

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
	var unknown []string
	for k := range args {
		if !slices.Contains(configKeys, k) {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) > 0 {
		slices.Sort(unknown)
		if _, ok := args["cookie"]; ok {
			return nil, hiddenKeyError(len(unknown))
		}
		return nil, unknownKeyError(unknown)
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
	if v, ok := args["multicast_addr"]; ok {
		a, err := netip.ParseAddr(v)
		if err != nil || !validGroup(a) {
			return invalid("multicast_addr", v, acceptGroup)
		}
		c.MulticastAddr = a
	}
	if v, ok := args["if_addr"]; ok {
		a, err := netip.ParseAddr(v)
		if err != nil || !validIfAddr(a) {
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
		c.TTL = n
	}
	if v, ok := args["iface"]; ok {
		names, err := parseIfaces(v)
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
	if v, ok := args["announce"]; ok {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return invalid("announce", v, `must be "true" or "false"`)
		}
		c.Announce = b
	}
	var err error
	if c.Interval, err = parseDuration(args, "interval", c.Interval, MinInterval, MaxInterval); err != nil {
		return err
	}
	if c.Timeout, err = parseDuration(args, "timeout", c.Timeout, MinTimeout, MaxTimeout); err != nil {
		return err
	}
	if c.Stable, err = parseDuration(args, "stable", c.Stable, 0, MaxStable); err != nil {
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

// hiddenKeyError is the error of n unknown keys beside a cookie: they may
// be words of the cookie itself (a cookie with a space and an '=' that
// was not quoted), so they are not shown.
func hiddenKeyError(n int) error {
	what := "an unknown key"
	if n > 1 {
		what = fmt.Sprintf("%d unknown keys", n)
	}
	return fmt.Errorf("discover-mcgossip: %s, not shown because it may be part of the cookie (double-quote a cookie that has spaces or \"=\", or use cookie_file): accepted keys are %s",
		what, strings.Join(configKeys, ", "))
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
		return 0, invalid(key, v, acceptDuration(lo, hi))
	}
	return d, nil
}

// acceptDuration is what a duration key from lo to hi accepts.
func acceptDuration(lo, hi time.Duration) string {
	return fmt.Sprintf("must be a duration such as \"5s\" or \"250ms\", from %v to %v", fmtDur(lo), fmtDur(hi))
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
	names := strings.Split(v, ",")
	if err := checkIfaces(names); err != nil {
		return nil, err
	}
	return names, nil
}

// checkIfaces says what is wrong with a list of interface names.
func checkIfaces(names []string) error {
	for i, n := range names {
		switch {
		case n == "":
			return errors.New(`must be a comma-separated list of interface names, such as "eth0" or "eth0,eth1", without empty entries`)
		case len(n) > 15 || n == "." || n == ".." || strings.ContainsAny(n, "/:,") || strings.ContainsFunc(n, unicode.IsSpace):
			return fmt.Errorf("%q is not an interface name: at most 15 characters, no space, '/' or ':'", n)
		case slices.Contains(names[:i], n):
			return fmt.Errorf("%q is listed twice", n)
		}
	}
	return nil
}

// acceptAdvertise is what advertise accepts.
const acceptAdvertise = `must be "ip", "ip:port" or ":port" with a unicast IP of this node (IPv6 in brackets with a port) and a port from 1 to 65535`

// checkAdvertiseAddr says what is wrong with an (unmapped) advertised IP.
func checkAdvertiseAddr(a netip.Addr) error {
	if a.Zone() != "" || a.IsUnspecified() || a.IsMulticast() || (a.Is6() && a.IsLinkLocalUnicast()) || a == broadcast {
		return errors.New(acceptAdvertise + "; not unspecified, multicast, broadcast or IPv6 link-local")
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
