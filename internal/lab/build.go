package lab

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"

	"golang.org/x/sys/unix"
)

// Supported returns nil when this process can build labs, or an error
// wrapping ErrUnsupported that says why not: not root, root only inside a
// user namespace (where namespaces cannot be mounted under /run/netns), or
// no ip or nft command. New and Start check it first.
func Supported() error {
	if os.Geteuid() != 0 {
		return fmt.Errorf("%w: not running as root (euid %d)", ErrUnsupported, os.Geteuid())
	}
	if !initialUserNS() {
		return fmt.Errorf("%w: root only inside a user namespace, not on the machine", ErrUnsupported)
	}
	for _, tool := range []string{"ip", "nft"} {
		if _, err := exec.LookPath(tool); err != nil {
			return fmt.Errorf("%w: %s not found in PATH (install iproute2 and nftables)", ErrUnsupported, tool)
		}
	}
	return nil
}

// initialUserNS reports whether the process runs in the machine's own user
// namespace, whose uid_map maps all 2^32-1 ids from 0 to 0.
func initialUserNS() bool {
	b, err := os.ReadFile("/proc/self/uid_map")
	if err != nil {
		return true // no user namespaces in this kernel
	}
	f := strings.Fields(string(b))
	return len(f) == 3 && f[0] == "0" && f[1] == "0" && f[2] == "4294967295"
}

// build creates the namespaces, the bridge and the veth pairs, and
// configures every host. It uses one `ip -batch` for the namespaces and
// links, one for the bridge namespace and one per host.
func (l *Lab) build() error {
	var b strings.Builder
	fmt.Fprintf(&b, "netns add %s\n", l.bridge)
	// The bridge comes first and takes ifindex 2 in its namespace, so no
	// port has the same ifindex as its peer eth0 (ifindex 2 in every
	// host): the kernel handles the carrier change of a device whose
	// ifindex equals its link's as non-urgent, up to a second late.
	fmt.Fprintf(&b, "link add br0 netns %s type bridge stp_state 0 mcast_snooping 0\n", l.bridge)
	for _, h := range l.hosts {
		fmt.Fprintf(&b, "netns add %s\n", h.Name)
		// Both ends are created in their namespaces: nothing touches the
		// namespace of this process.
		fmt.Fprintf(&b, "link add %s netns %s type veth peer name eth0 netns %s\n", h.port, l.bridge, h.Name)
	}
	// The first `ip netns add` on a machine turns /run/netns into a shared
	// bind mount; two processes doing that at once stack two mounts and
	// hide each other's namespaces. A lock file serializes this step
	// between processes (parallel test packages).
	unlock, err := lockRunDir()
	if err != nil {
		return err
	}
	err = runIP("", b.String())
	unlock()
	if err != nil {
		return fmt.Errorf("lab: creating namespaces and links: %w", err)
	}

	b.Reset()
	b.WriteString("link set lo up\n")
	for _, h := range l.hosts {
		fmt.Fprintf(&b, "link set %s master br0 up\n", h.port)
	}
	b.WriteString("link set br0 up\n")
	if err := runIP(l.bridge, b.String()); err != nil {
		return fmt.Errorf("lab: setting up the bridge: %w", err)
	}

	// Hosts are independent: configure a few at a time.
	const workers = 4
	jobs := make(chan *Host)
	errs := make([]error, len(l.hosts))
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for h := range jobs {
				if err := l.setupHost(h); err != nil {
					errs[h.Index-1] = fmt.Errorf("lab: setting up host %s: %w", h.Name, err)
				}
			}
		})
	}
	for _, h := range l.hosts {
		jobs <- h
	}
	close(jobs)
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	return l.waitReady(l.hosts)
}

// setupHost configures host h: its sysctls, then lo and eth0 up, with
// the addresses and routes of its families.
func (l *Lab) setupHost(h *Host) error {
	if l.managed {
		var sysctls map[string]string
		if h.Family&IPv6 != 0 {
			// Duplicate address detection off before eth0 comes up, so its
			// link-local address is usable at once (otherwise about two
			// seconds later); the lab's addresses are unique by design.
			sysctls = map[string]string{"all/accept_dad": "0", "default/accept_dad": "0", "eth0/accept_dad": "0", "eth0/accept_ra": "0"}
		} else {
			sysctls = map[string]string{"eth0/disable_ipv6": "1"}
		}
		if err := h.Do(func() error {
			for k, v := range sysctls {
				if err := os.WriteFile("/proc/sys/net/ipv6/conf/"+k, []byte(v), 0o644); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			return err
		}
	}
	script := "link set lo up\nlink set eth0 multicast on up\n"
	if h.Family&IPv4 != 0 {
		script += fmt.Sprintf("addr add %s/%d dev eth0\nroute add 224.0.0.0/4 dev eth0\n", h.Addr, Subnet.Bits())
	}
	if h.Family&IPv6 != 0 {
		// The kernel routes ff00::/8 on eth0 by itself.
		script += fmt.Sprintf("addr add %s/%d dev eth0 nodad\n", h.Addr6, Subnet6.Bits())
	}
	return runIP(h.Name, script)
}

// lockPath is the lock file that serializes namespace creation.
const lockPath = "/run/mcgossip-lab.lock"

// lockRunDir takes an exclusive flock on lockPath and returns its release.
func lockRunDir() (func(), error) {
	fd, err := unix.Open(lockPath, unix.O_RDWR|unix.O_CREAT|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lab: opening %s: %w", lockPath, err)
	}
	if err := unix.Flock(fd, unix.LOCK_EX); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("lab: locking %s: %w", lockPath, err)
	}
	return func() { unix.Close(fd) }, nil
}

// runIP runs `ip [-n ns] -batch -` with script on standard input. A
// permission error wraps ErrUnsupported.
func runIP(ns, script string) error {
	args := []string{"-batch", "-"}
	if ns != "" {
		args = append([]string{"-n", ns}, args...)
	}
	return run(exec.Command("ip", args...), script)
}

// run runs cmd with stdin and returns an error carrying its output.
func run(cmd *exec.Cmd, stdin string) error {
	cmd.Stdin = strings.NewReader(stdin)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(out.String())
		if isPermission(msg) {
			return fmt.Errorf("%w: %s: %s", ErrUnsupported, strings.Join(cmd.Args, " "), msg)
		}
		return fmt.Errorf("%s: %w: %s", strings.Join(cmd.Args, " "), err, msg)
	}
	return nil
}

// isPermission reports whether a command's output says it lacked the
// privilege (as in a user namespace, or a container without
// CAP_SYS_ADMIN).
func isPermission(out string) bool {
	return strings.Contains(out, "Operation not permitted") || strings.Contains(out, "Permission denied")
}
