package libcluster

import (
	"fmt"
	"maps"
	"net/netip"
	"slices"
	"strconv"

	"github.com/mcgossip/go-discover-mcgossip/provider/internal/keys"
)

// What each key accepts: ParseConfig (on the text) and NewEngine (on a
// Config's field) say the same.
const (
	acceptPort   = "must be an integer from 1 to 65535"
	acceptGroup  = "must be an IPv4 multicast address, from 224.0.0.0 to 239.255.255.255, such as 233.252.1.32 (libcluster 3.3 and later) or 230.1.1.251 (libcluster 3.2 and earlier)"
	acceptIfAddr = "must be an IPv4 address of this host, or 0.0.0.0 for any"
	acceptBool   = `must be "true" or "false"`
)

var acceptExpect = fmt.Sprintf("must be an integer from 0 (off) to %d", MaxExpect)

// broadcast is the limited broadcast address, which no key accepts.
var broadcast = netip.AddrFrom4([4]byte{255, 255, 255, 255})

func validPort(n int) bool          { return n >= 1 && n <= 65535 }
func validGroup(a netip.Addr) bool  { return a.Is4() && a.IsMulticast() }
func validIfAddr(a netip.Addr) bool { return a.Is4() && !a.IsMulticast() && a != broadcast }

// configKeys are the keys ParseConfig accepts, sorted.
var configKeys = []string{
	"dist_port", "epmd_port", "erlang_cookie", "erlang_cookie_file", "expect", "iface", "if_addr",
	"multicast_addr", "port", "provider", "secret", "secret_file", "timeout",
}

// notKeys are keys a user may bring from libcluster's or mcgossip's
// configuration, refused with what to do instead.
var notKeys = map[string]string{
	"ttl":            "this provider only listens and sends nothing, so it has no TTL; leave it out",
	"multicast_ttl":  "this provider only listens and sends nothing, so it has no TTL; leave it out",
	"multicast_if":   "give the address of the interface to listen on as if_addr (or its name as iface)",
	"broadcast_only": "libcluster's broadcast mode is not supported: this provider listens on a multicast group",
	"cookie":         "the Erlang cookie is erlang_cookie (or erlang_cookie_file); libcluster's secret is secret",
	"cookie_file":    "the Erlang cookie file is erlang_cookie_file; libcluster's secret is secret or secret_file",
}

// keyParser checks the keys and writes the errors, in the style the
// providers share.
var keyParser = keys.Parser{Prefix: "discover-libcluster", Keys: configKeys, Secrets: []string{"erlang_cookie", "secret"}}

// invalid returns the house-style error for a bad value.
func invalid(key, value, accepted string) error {
	return keyParser.Invalid(key, value, accepted)
}

// ConfigError is the error of a configuration that ParseConfig (or
// NewEngine) refused: an unknown key, or a value it does not accept, such
// as an interface this host does not have. Its message names the key, the
// value (never a secret or a cookie) and what is accepted.
type ConfigError struct{ err error }

// Error returns the message, prefixed "discover-libcluster: ".
func (e *ConfigError) Error() string { return e.err.Error() }

// Unwrap returns the underlying error.
func (e *ConfigError) Unwrap() error { return e.err }

// InvalidParameter marks the error as the caller's mistake, after the
// errdefs convention, so a plugin host receives it as InvalidArgument.
func (e *ConfigError) InvalidParameter() {}

// ParseConfig builds a Config from go-discover arguments (key=value pairs,
// including provider=libcluster), starting from DefaultConfig. Every key
// is validated; an unknown key is an error, so a typo never silently means
// a default. Errors start with "discover-libcluster: " and name the key,
// the value (never a secret or a cookie) and what is accepted.
func ParseConfig(args map[string]string) (*Config, error) {
	c, err := parseConfig(args)
	if err != nil {
		return nil, &ConfigError{err: err}
	}
	return c, nil
}

func parseConfig(args map[string]string) (*Config, error) {
	for _, k := range slices.Sorted(maps.Keys(args)) {
		if why, ok := notKeys[k]; ok {
			// The value is not shown: it may be a secret.
			return nil, fmt.Errorf("discover-libcluster: key %q is not accepted by provider=libcluster: %s", k, why)
		}
	}
	if err := keyParser.CheckKeys(args); err != nil {
		return nil, err
	}
	c := DefaultConfig()
	if err := c.set(args); err != nil {
		return nil, err
	}
	if err := parseSecret(c, args); err != nil {
		return nil, err
	}
	if err := parseErlangCookie(c, args); err != nil {
		return nil, err
	}
	return c, nil
}

// set validates args (known keys) and sets c from them, except the secret
// and the cookie.
func (c *Config) set(args map[string]string) error {
	if v, ok := args["provider"]; ok && v != "libcluster" {
		return invalid("provider", v, `must be "libcluster"`)
	}
	for _, p := range []struct {
		key string
		to  *int
	}{{"port", &c.Port}, {"epmd_port", &c.EpmdPort}} {
		if v, ok := args[p.key]; ok {
			n, err := strconv.Atoi(v)
			if err != nil || !validPort(n) {
				return invalid(p.key, v, acceptPort)
			}
			*p.to = n
		}
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
	if v, ok := args["iface"]; ok {
		names, err := keys.Interfaces(v)
		if err != nil {
			return invalid("iface", v, err.Error())
		}
		c.Interfaces = names
	}
	if v, ok := args["dist_port"]; ok {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return invalid("dist_port", v, acceptBool)
		}
		c.DistPort = b
	}
	var err error
	if c.Timeout, err = keyParser.Duration(args, "timeout", c.Timeout, MinTimeout, MaxTimeout); err != nil {
		return err
	}
	if v, ok := args["expect"]; ok {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > MaxExpect {
			return invalid("expect", v, acceptExpect)
		}
		c.Expect = n
	}
	return nil
}
