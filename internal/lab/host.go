package lab

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"os/exec"
	"runtime"

	"golang.org/x/sys/unix"
)

// netnsDir is where `ip netns` keeps its named namespaces.
const netnsDir = "/run/netns/"

// Host is one machine of the lab: a network namespace with lo and eth0.
type Host struct {
	// Name is the namespace's name, as `ip netns` lists it (mcg<pid>-<n>-h<i>).
	Name string
	// Addr is the host's IPv4 address on eth0, in Subnet; invalid for an
	// IPv6-only host.
	Addr netip.Addr
	// Addr6 is the host's unique-local IPv6 address on eth0, in Subnet6;
	// invalid for an IPv4 host.
	Addr6 netip.Addr
	// Index is the host's number, from 1.
	Index int
	// Family is the host's address families.
	Family Family

	lab  *Lab
	port string // the veth peer's name on the bridge
}

// String returns the host's namespace name.
func (h *Host) String() string { return h.Name }

// Command returns a command that runs name with args inside the host's
// namespace (through `ip netns exec`, which execs name in place, so the
// process's pid is the command's and ctx's cancellation kills it). The
// caller starts and waits for it as for any exec.Cmd. Close kills any that
// are still running.
func (h *Host) Command(ctx context.Context, name string, args ...string) *exec.Cmd {
	return exec.CommandContext(ctx, "ip", append([]string{"netns", "exec", h.Name, name}, args...)...)
}

// Do runs fn on an OS thread that is switched to the host's namespace and
// returns fn's error. Sockets fn opens belong to the host's namespace for
// their whole life and may be used from any goroutine after Do returns.
//
// Only fn's own goroutine is in the namespace: goroutines started inside
// fn run on other threads, in the namespace of the process, and so does
// anything that opens a socket later (a pure-Go DNS lookup, a redial), so
// open everything inside fn. The thread is thrown away after fn returns,
// so no other goroutine ever runs in the host's namespace. A panic in fn is
// re-raised in the caller's goroutine.
func (h *Host) Do(fn func() error) error {
	type result struct {
		err   error
		panic any
	}
	done := make(chan result, 1)
	go func() {
		// Never unlocked: the goroutine's exit ends the thread, still in
		// the host's namespace, instead of handing it to the scheduler.
		runtime.LockOSThread()
		var r result
		defer func() {
			if p := recover(); p != nil {
				r.panic = p
			}
			done <- r
		}()
		if err := enter(h.Name); err != nil {
			r.err = err
			return
		}
		r.err = fn()
	}()
	r := <-done
	if r.panic != nil {
		panic(r.panic)
	}
	return r.err
}

// enter switches the calling thread to the named namespace.
func enter(ns string) error {
	fd, err := unix.Open(netnsDir+ns, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("lab: opening namespace %s: %w", ns, err)
	}
	defer unix.Close(fd)
	if err := unix.Setns(fd, unix.CLONE_NEWNET); err != nil {
		return fmt.Errorf("lab: entering namespace %s: %w", ns, err)
	}
	return nil
}

// ListenPacket is net.ListenPacket run inside the host's namespace (see
// Do). Use a literal address: no name is resolved in the namespace.
func (h *Host) ListenPacket(network, address string) (net.PacketConn, error) {
	var c net.PacketConn
	err := h.Do(func() error {
		var err error
		c, err = net.ListenPacket(network, address)
		return err
	})
	return c, err
}

// DialContext is net.Dialer's DialContext run inside the host's namespace
// (see Do): the connection belongs to the host. It fits
// http.Transport.DialContext, to talk to a server in the host. Use a
// literal address: no name is resolved in the namespace.
func (h *Host) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	var c net.Conn
	err := h.Do(func() error {
		var d net.Dialer
		var err error
		c, err = d.DialContext(ctx, network, address)
		return err
	})
	return c, err
}

// Interface returns the host's eth0 as seen inside its namespace (its
// index there), for joining groups and choosing the multicast interface.
func (h *Host) Interface() (*net.Interface, error) {
	var ifi *net.Interface
	err := h.Do(func() error {
		var err error
		ifi, err = net.InterfaceByName("eth0")
		return err
	})
	return ifi, err
}

// SetLink cuts the host off the LAN (up false) or reconnects it (up true)
// by setting its port on the bridge down or up, like pulling the cable:
// the host's eth0 loses carrier but keeps its address and routes, sends
// still succeed and go nowhere, and nothing reaches it. SetLink(true)
// returns once the link carries traffic again.
func (h *Host) SetLink(up bool) error {
	state := "down"
	if up {
		state = "up"
	}
	if err := runIP(h.lab.bridge, fmt.Sprintf("link set %s %s\n", h.port, state)); err != nil {
		return fmt.Errorf("lab: setting the link of %s %s: %w", h.Name, state, err)
	}
	if up {
		return h.lab.waitReady([]*Host{h})
	}
	return nil
}

// SetLoss makes the host drop percent (0-100) of the IP packets that
// arrive on its eth0 and, drawn independently, of those it sends out of
// eth0, each packet at random: nftables `numgen random mod 100 < percent`
// in a table netdev mcglab of the host's namespace, with a chain on eth0's
// ingress hook and one on its egress hook. Drops happen at the device,
// like loss on the wire: a sender's write still succeeds. A datagram
// between this host and one without loss is lost with probability
// percent/100; between two lossy hosts both draws apply. ARP, IPv6
// neighbor and router discovery (ICMPv6 133-136: ARP's part in IPv6) and
// traffic on lo are never dropped, so that IPv4 and IPv6 lose the same
// share of what a protocol sends. SetLoss(0) removes the table.
func (h *Host) SetLoss(percent int) error {
	if percent < 0 || percent > 100 {
		return fmt.Errorf("lab: invalid loss %d%%: must be from 0 to 100", percent)
	}
	// Declaring the table first makes the delete succeed whether or not
	// it existed; the whole script is one atomic transaction.
	script := "table netdev mcglab\ndelete table netdev mcglab\n"
	if percent > 0 {
		draw := fmt.Sprintf("numgen random mod 100 < %d ", percent)
		if percent == 100 {
			draw = "" // every packet (nft takes no 100 there)
		}
		script += fmt.Sprintf(`table netdev mcglab {
	chain ingress {
		type filter hook ingress device "eth0" priority filter; policy accept;
		icmpv6 type { nd-router-solicit, nd-router-advert, nd-neighbor-solicit, nd-neighbor-advert } accept
		meta protocol { ip, ip6 } %[1]scounter drop
	}
	chain egress {
		type filter hook egress device "eth0" priority filter; policy accept;
		icmpv6 type { nd-router-solicit, nd-router-advert, nd-neighbor-solicit, nd-neighbor-advert } accept
		meta protocol { ip, ip6 } %[1]scounter drop
	}
}
`, draw)
	}
	if err := run(h.Command(context.Background(), "nft", "-f", "-"), script); err != nil {
		return fmt.Errorf("lab: setting %d%% loss on %s: %w", percent, h.Name, err)
	}
	return nil
}
