package lab

import (
	"errors"
	"fmt"
	"net/netip"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
)

// Subnet is the prefix the hosts' addresses come from (RFC 2544's
// benchmarking range, never routed on the internet). Host i has the
// address Subnet.Addr()+i with Subnet's mask on eth0.
var Subnet = netip.MustParsePrefix("198.18.0.0/15")

// Subnet6 is the prefix the IPv6 hosts' unique-local addresses come from
// (RFC 4193; global id 6d:6367:6c61, "mcgla"). Host i has the address
// Subnet6.Addr()+i/64 on eth0, besides its link-local one.
var Subnet6 = netip.MustParsePrefix("fd6d:6367:6c61::/64")

// Family is the address families a host has on eth0.
type Family uint8

// The families of a host.
const (
	// IPv4: an address in Subnet and a route for 224.0.0.0/4 (the default).
	IPv4 Family = 1 << iota
	// IPv6: an address in Subnet6 and a link-local one, both usable at
	// once (DAD is off in the host's namespace).
	IPv6
	// DualStack is both.
	DualStack = IPv4 | IPv6
)

// String returns "IPv4", "IPv6" or "dual-stack".
func (f Family) String() string {
	switch f {
	case IPv4:
		return "IPv4"
	case IPv6:
		return "IPv6"
	case DualStack:
		return "dual-stack"
	}
	return "family(" + strconv.Itoa(int(f)) + ")"
}

// MaxHosts is the largest number of hosts a lab can have (a Linux bridge
// takes at most 1024 ports).
const MaxHosts = 1000

// ErrUnsupported is wrapped by Start's error when this machine or process
// cannot build namespaces: not root, no ip or nft command, or no permission
// to create and mount network namespaces.
var ErrUnsupported = errors.New("lab: cannot build network namespaces")

// labSeq numbers the labs of this process, so several labs (parallel
// tests) never share names.
var labSeq atomic.Uint64

// Lab is a virtual LAN of hosts (network namespaces) joined by a bridge.
// Its methods are safe for concurrent use.
type Lab struct {
	prefix  string
	bridge  string
	hosts   []*Host
	managed bool // families were given: IPv4 hosts have IPv6 off

	closeOnce sync.Once
	closeErr  error
}

// Option changes how Start builds a lab.
type Option func(*options)

type options struct {
	noSignals bool
	// family is every host's, hostFamily overrides it per host (1-based);
	// managed tells that one of them was given: then a host without IPv6
	// has IPv6 turned off on eth0, so it is IPv4-only on the wire too.
	family     Family
	hostFamily map[int]Family
	managed    bool
}

// WithFamily gives every host the address families f (IPv4, IPv6 or
// DualStack). Without it (and WithHostFamily) hosts have IPv4, and eth0's
// IPv6 is left as the kernel makes it; with it, the IPv4 hosts have IPv6
// turned off on eth0.
func WithFamily(f Family) Option {
	return func(o *options) { o.family, o.managed = f, true }
}

// WithHostFamily gives host i (from 1) the address families f, whatever
// WithFamily says: a mixed LAN of IPv4-only, IPv6-only and dual-stack
// hosts.
func WithHostFamily(i int, f Family) Option {
	return func(o *options) {
		if o.hostFamily == nil {
			o.hostFamily = map[int]Family{}
		}
		o.hostFamily[i], o.managed = f, true
	}
}

// NoSignalHandler makes Start leave SIGINT, SIGTERM and SIGHUP alone. By
// default the first lab of a process installs a handler that closes every
// open lab on those signals and then lets the signal kill the process. A
// program with its own signal handling uses this option and calls Close.
func NoSignalHandler() Option { return func(o *options) { o.noSignals = true } }

// New builds a lab of n hosts for a test or benchmark and registers its
// Close with tb.Cleanup. It fails the test on error. Where namespaces
// cannot be built (not root, no iproute2 or nftables) it skips the test
// with a message, except when the environment has CI=true, where it fails.
func New(tb testing.TB, n int, opts ...Option) *Lab {
	tb.Helper()
	l, err := Start(n, opts...)
	if err != nil {
		if errors.Is(err, ErrUnsupported) {
			if os.Getenv("CI") == "true" {
				tb.Fatalf("%v (CI=true, so this fails instead of skipping)", err)
			}
			tb.Skipf("SKIP: %v (the namespace lab needs root, iproute2 and nftables; with CI=true this fails)", err)
		}
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if err := l.Close(); err != nil {
			tb.Errorf("closing the lab: %v", err)
		}
	})
	return l
}

// Start builds a lab of n hosts for use outside tests (the demo,
// benchmarks run as programs). The caller must Close it. The error wraps
// ErrUnsupported when namespaces cannot be built here.
func Start(n int, opts ...Option) (*Lab, error) {
	if n < 1 || n > MaxHosts {
		return nil, fmt.Errorf("lab: invalid host count %d: must be from 1 to %d", n, MaxHosts)
	}
	o := options{family: IPv4}
	for _, opt := range opts {
		opt(&o)
	}
	for i, f := range o.hostFamily {
		if i < 1 || i > n || f&^DualStack != 0 || f == 0 {
			return nil, fmt.Errorf("lab: invalid family %v for host %d of %d", f, i, n)
		}
	}
	if o.family&^DualStack != 0 || o.family == 0 {
		return nil, fmt.Errorf("lab: invalid family %v", o.family)
	}
	if err := Supported(); err != nil {
		return nil, err
	}
	// Best effort: a namespace a killed run left must not stop this one.
	_, _ = CleanStale()

	prefix := "mcg" + strconv.Itoa(os.Getpid()) + "-" + strconv.FormatUint(labSeq.Add(1), 10)
	l := &Lab{prefix: prefix, bridge: prefix + "-br", managed: o.managed}
	base := Subnet.Addr().As4()
	base6 := Subnet6.Addr().As16()
	for i := 1; i <= n; i++ {
		f := o.family
		if hf, ok := o.hostFamily[i]; ok {
			f = hf
		}
		h := &Host{Name: prefix + "-h" + strconv.Itoa(i), Index: i, Family: f, lab: l, port: "h" + strconv.Itoa(i)}
		if f&IPv4 != 0 {
			a := base
			a[2] += byte(i >> 8)
			a[3] += byte(i)
			h.Addr = netip.AddrFrom4(a)
		}
		if f&IPv6 != 0 {
			a := base6
			a[14], a[15] = byte(i>>8), byte(i)
			h.Addr6 = netip.AddrFrom16(a)
		}
		l.hosts = append(l.hosts, h)
	}
	// Registered before anything exists, so a signal during the build
	// tears down whatever was made.
	register(l)
	if !o.noSignals {
		installSignalHandler()
	}
	if err := l.build(); err != nil {
		return nil, errors.Join(err, l.Close())
	}
	return l, nil
}

// Prefix returns the lab's name prefix, mcg<pid>-<n>; every namespace of
// the lab is named <prefix>-<something>.
func (l *Lab) Prefix() string { return l.prefix }

// Hosts returns the lab's hosts, host 1 first.
func (l *Lab) Hosts() []*Host { return append([]*Host(nil), l.hosts...) }

// Host returns host i (1-based), or nil when there is no such host.
func (l *Lab) Host(i int) *Host {
	if i < 1 || i > len(l.hosts) {
		return nil
	}
	return l.hosts[i-1]
}

// HostFor places the k-th (0-based) of many engines or processes on the
// lab's hosts round robin: engine k runs on host k mod N + 1. It lets
// 50-200 engines share a few dozen hosts.
func (l *Lab) HostFor(k int) *Host {
	if k < 0 {
		k = -k
	}
	return l.hosts[k%len(l.hosts)]
}

// Addrs returns the hosts' IPv4 addresses in host order (the invalid Addr
// for an IPv6-only host).
func (l *Lab) Addrs() []netip.Addr {
	out := make([]netip.Addr, len(l.hosts))
	for i, h := range l.hosts {
		out[i] = h.Addr
	}
	return out
}

// Close kills every process still running in the lab's namespaces and
// deletes the namespaces (and with them the bridge and the veth pairs).
// Calling it again returns the first call's result.
func (l *Lab) Close() error {
	l.closeOnce.Do(func() {
		l.closeErr = teardown(l.prefix + "-")
		unregister(l)
	})
	return l.closeErr
}
