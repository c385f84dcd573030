package libcluster

import (
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/mcgossip/go-discover-mcgossip/provider/internal/keys"
)

// Config configures an Engine. Build one with DefaultConfig or ParseConfig;
// the zero value is not usable. A Config must not be changed after it is
// given to NewEngine.
type Config struct {
	// Port is the UDP port of libcluster's group (key port). Default 45892,
	// libcluster's.
	Port int
	// MulticastAddr is the group (key multicast_addr). Default
	// 233.252.1.32, the default of libcluster 3.3 and later; libcluster
	// 3.2 and earlier (2.x included) default to 230.1.1.251.
	MulticastAddr netip.Addr
	// IfAddr is a local IPv4 address (key if_addr): without Interfaces,
	// the interface that has it is listened on; the cookie checks connect
	// from it. Default 0.0.0.0: the interface the kernel routes the group
	// to, and the address the kernel picks.
	IfAddr netip.Addr
	// Interfaces are the interfaces to listen on (key iface,
	// comma-separated). Default none: see IfAddr.
	Interfaces []string
	// Secret is libcluster's secret (keys secret, secret_file): heartbeats
	// are then decrypted with it, and plain ones dropped. Default "": plain
	// heartbeats.
	Secret string
	// SecretFile is the file Secret came from, for messages only.
	SecretFile string
	// Cookie is the Erlang cookie (keys erlang_cookie,
	// erlang_cookie_file): a node is listed only once the distribution
	// handshake proves it shares it (see Checker). Default none: every node
	// heard is listed, unproven.
	Cookie []byte
	// CookieFile is the file Cookie came from, for messages only.
	CookieFile string
	// EpmdPort is epmd's port on the nodes' hosts (key epmd_port), as
	// ERL_EPMD_PORT sets it for the nodes. Default 4369.
	EpmdPort int
	// DistPort makes Addrs return "ip:port" with each node's distribution
	// port, from epmd, instead of the bare IP (key dist_port). Default
	// false.
	DistPort bool
	// Timeout is the most a lookup blocks (key timeout). Default 6s: a
	// libcluster node sends a heartbeat at least every 5 seconds, and the
	// checks of the last nodes heard take a few milliseconds on a LAN.
	Timeout time.Duration
	// Expect ends a lookup as soon as this many nodes are listed (key
	// expect); a lookup with it set waits for that many or the timeout. 0
	// turns it off: a lookup then ends once it has listened for a whole
	// heartbeat gap (5 s, from the engine's start) and no check is
	// running. Default 0.
	Expect int
	// Expire is how long a node stays known after its last heartbeat (no
	// key); shorter than HeartbeatGap, live nodes are forgotten between
	// two heartbeats. Default 15s, three of libcluster's longest gaps.
	Expire time.Duration
	// CheckTimeout bounds one cookie check (no key). Default 3s.
	CheckTimeout time.Duration
	// Logger, when set, receives the engine's log as slog records: each
	// with the message a *log.Logger would get (it says everything), the
	// attribute module=discover-libcluster and fields that repeat the
	// message's variable parts (node, addr, reason). NewEngine's
	// *log.Logger is then not used (no key). Default nil.
	Logger *slog.Logger

	// rescan is the interface polling period where rtnetlink cannot report
	// changes; 0 means mcast.DefaultRescan. Tests change it.
	rescan time.Duration
	// listen is how long a lookup without expect listens from the engine's
	// start; 0 means listenFor. Tests shorten it.
	listen time.Duration
}

// Defaults (see the Config fields for why).
const (
	// DefaultPort is libcluster's Gossip port.
	DefaultPort = 45892
	// DefaultTimeout covers a whole heartbeat gap and the checks.
	DefaultTimeout = 6 * time.Second
	// DefaultExpire is three of libcluster's longest heartbeat gaps.
	DefaultExpire = 15 * time.Second
	// DefaultCheckTimeout bounds one cookie check.
	DefaultCheckTimeout = 3 * time.Second
	// HeartbeatGap is the longest gap between two heartbeats of a
	// libcluster node: it waits a uniform 1 to 5000 ms after each.
	HeartbeatGap = 5 * time.Second
)

// DefaultMulticastAddr is libcluster's default group since 3.3,
// 233.252.1.32.
var DefaultMulticastAddr = netip.AddrFrom4([4]byte{233, 252, 1, 32})

// LegacyMulticastAddr is libcluster's default group up to 3.2,
// 230.1.1.251 (also mcgossip's default).
var LegacyMulticastAddr = netip.AddrFrom4([4]byte{230, 1, 1, 251})

// Limits that ParseConfig and NewEngine enforce.
const (
	MinTimeout = 10 * time.Millisecond
	MaxTimeout = time.Hour
	MaxExpect  = 100000
)

// DefaultConfig returns the defaults of every setting; see Config.
func DefaultConfig() *Config {
	return &Config{
		Port:          DefaultPort,
		MulticastAddr: DefaultMulticastAddr,
		IfAddr:        netip.IPv4Unspecified(),
		EpmdPort:      DefaultEpmdPort,
		Timeout:       DefaultTimeout,
		Expire:        DefaultExpire,
		CheckTimeout:  DefaultCheckTimeout,
	}
}

// validate checks a Config given to NewEngine with ParseConfig's rules
// (whose output always passes), as a *ConfigError naming the key.
func (c *Config) validate() error {
	if c == nil {
		return &ConfigError{err: errors.New("discover-libcluster: invalid config: must not be nil")}
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
	case !validGroup(c.MulticastAddr):
		return invalid("multicast_addr", c.MulticastAddr.String(), acceptGroup)
	case !validIfAddr(c.IfAddr):
		return invalid("if_addr", c.IfAddr.String(), acceptIfAddr)
	case !validPort(c.EpmdPort):
		return invalid("epmd_port", strconv.Itoa(c.EpmdPort), acceptPort)
	case c.Timeout < MinTimeout || c.Timeout > MaxTimeout:
		return invalid("timeout", c.Timeout.String(), keys.AcceptDuration(MinTimeout, MaxTimeout))
	case c.Expect < 0 || c.Expect > MaxExpect:
		return invalid("expect", strconv.Itoa(c.Expect), acceptExpect)
	case c.Expire <= 0:
		return fmt.Errorf("discover-libcluster: invalid expire %v: must be positive (and longer than %v, a whole heartbeat gap, not to forget live nodes)", c.Expire, HeartbeatGap)
	case c.CheckTimeout <= 0:
		return fmt.Errorf("discover-libcluster: invalid check timeout %v: must be positive", c.CheckTimeout)
	}
	if err := keys.CheckInterfaces(c.Interfaces); err != nil {
		return invalid("iface", strings.Join(c.Interfaces, ","), err.Error())
	}
	if c.Cookie != nil {
		if err := checkErlangCookie(c.Cookie); err != nil {
			return fmt.Errorf("discover-libcluster: invalid erlang_cookie (value not shown): %w", err)
		}
	}
	return nil
}

// String returns the configuration as go-discover arguments, provider
// first, defaults left out, secrets hidden (shown as <hidden>, or as the
// file they came from).
func (c *Config) String() string {
	d := DefaultConfig()
	parts := []string{"provider=libcluster"}
	add := func(differs bool, key, value string) {
		if differs {
			if strings.ContainsAny(value, " \"\\=`") {
				value = strconv.Quote(value)
			}
			parts = append(parts, key+"="+value)
		}
	}
	add(c.Port != d.Port, "port", strconv.Itoa(c.Port))
	add(c.MulticastAddr != d.MulticastAddr, "multicast_addr", c.MulticastAddr.String())
	add(c.IfAddr != d.IfAddr, "if_addr", c.IfAddr.String())
	add(len(c.Interfaces) > 0, "iface", strings.Join(c.Interfaces, ","))
	add(c.SecretFile != "", "secret_file", c.SecretFile)
	add(c.SecretFile == "" && c.Secret != "", "secret", "<hidden>")
	add(c.CookieFile != "", "erlang_cookie_file", c.CookieFile)
	add(c.CookieFile == "" && c.Cookie != nil, "erlang_cookie", "<hidden>")
	add(c.EpmdPort != d.EpmdPort, "epmd_port", strconv.Itoa(c.EpmdPort))
	add(c.DistPort, "dist_port", "true")
	add(c.Timeout != d.Timeout, "timeout", c.Timeout.String())
	add(c.Expect != d.Expect, "expect", strconv.Itoa(c.Expect))
	return strings.Join(parts, " ")
}
