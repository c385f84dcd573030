// Command demo shows go-discover-mcgossip at work on a virtual LAN of four
// hosts (network namespaces that it creates and removes): three agents of
// cluster "blue", one agent of cluster "red" with another cookie, lookups
// from the fourth host, an agent leaving, and a BEAM node of an Elixir
// libcluster cluster found with provider=libcluster (with Erlang/OTP
// installed). `make demo` runs it:
//
//	go run ./test/demo [-bin path/to/go-discover-mcgossip]
//
// Without -bin it builds the binary itself. It needs root (to create
// network namespaces), iproute2 and nftables, and says so when they are
// missing. Nothing it sends leaves the virtual LAN.
package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/mcgossip/go-discover-mcgossip/internal/lab"
)

func main() {
	bin := flag.String("bin", "", "the go-discover-mcgossip binary (default: build it)")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, *bin)
	if ctx.Err() != nil { // before stop, which cancels ctx too
		err = errors.New("interrupted (the namespaces are removed)")
	}
	stop()
	if err != nil {
		fmt.Fprintf(os.Stderr, "demo: %v\n", err)
		os.Exit(1)
	}
}

// agent is a go-discover-mcgossip agent running on a lab host.
type agent struct {
	host   *lab.Host
	name   string
	cmd    *exec.Cmd
	stderr *syncBuffer // its log
	exited chan error  // receives cmd.Wait's result
	done   bool        // exited was received
	lines  chan string // its log lines after "agent started" (dropped when full)
}

// stopAgents stops the agents still running: SIGTERM, then SIGKILL after a
// second.
func stopAgents(agents []*agent) {
	for _, a := range agents {
		if !a.done {
			_ = a.cmd.Process.Signal(syscall.SIGTERM)
		}
	}
	deadline := time.Now().Add(time.Second)
	for _, a := range agents {
		if a.done {
			continue
		}
		select {
		case <-a.exited:
		case <-time.After(time.Until(deadline)):
			_ = a.cmd.Process.Kill()
			<-a.exited
		}
		a.done = true
	}
}

func run(ctx context.Context, bin string) error {
	if os.Geteuid() != 0 {
		return errors.New("the demo needs root: it creates network namespaces for a virtual LAN.\n" +
			"Run it as root, e.g. `sudo make demo` (it also needs the ip and nft commands: iproute2 and nftables)")
	}
	if bin == "" {
		dir, err := os.MkdirTemp("", "mcg-demo-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		bin = filepath.Join(dir, "go-discover-mcgossip")
		fmt.Println("Building go-discover-mcgossip ...")
		build := exec.Command("go", "build", "-o", bin, ".")
		build.Stdout, build.Stderr = os.Stdout, os.Stderr
		if err := build.Run(); err != nil {
			return fmt.Errorf("go build: %w", err)
		}
	}
	bin, err := filepath.Abs(bin)
	if err != nil {
		return err
	}

	l, err := lab.Start(4, lab.NoSignalHandler())
	if err != nil {
		if errors.Is(err, lab.ErrUnsupported) {
			return fmt.Errorf("cannot build the virtual LAN: %w", err)
		}
		return err
	}
	defer func() {
		if err := l.Close(); err != nil {
			fmt.Fprintf(os.Stderr, "removing the namespaces: %v\n", err)
			return
		}
		fmt.Println("\nThe virtual LAN and its namespaces are removed.")
	}()
	start := time.Now()
	hosts := l.Hosts()
	fmt.Printf("\nA virtual LAN of %d hosts (network namespaces %s-h1..h%d), one bridge:\n", len(hosts), l.Prefix(), len(hosts))
	for _, h := range hosts {
		fmt.Printf("  host %d  %s\n", h.Index, h.Addr)
	}

	// 1. Cookies.
	blue, err := keygen(ctx, bin)
	if err != nil {
		return err
	}
	red, err := keygen(ctx, bin)
	if err != nil {
		return err
	}
	fmt.Printf("\n1. Two clusters, two cookies (made with `go-discover-mcgossip keygen`):\n")
	fmt.Printf("  blue  %s\n  red   %s\n", blue, red)

	// 2. Agents.
	fmt.Printf("\n2. Start an agent on each host; it announces the host on the multicast group:\n")
	var agents []*agent
	defer func() { stopAgents(agents) }()
	for i, h := range hosts {
		cluster, cookie, name := "blue", blue, fmt.Sprintf("blue-%d", i+1)
		if i == 3 {
			cluster, cookie, name = "red", red, "red-1"
		}
		a, err := startAgent(ctx, bin, h, name, cookie)
		if err != nil {
			return err
		}
		agents = append(agents, a)
		fmt.Printf("  host %d: go-discover-mcgossip agent provider=mcgossip cookie=<%s> name=%s\n", h.Index, cluster, name)
	}

	// 3. Lookup.
	asker := hosts[3]
	fmt.Printf("\n3. On host %d, ask who is in cluster blue (the lookup a retry_join entry makes):\n", asker.Index)
	if err := addrs(ctx, bin, asker, blue, hosts[:3]...); err != nil {
		return err
	}
	fmt.Printf("  The three blue agents. red-1 (%s) shares the LAN and the group but not\n", hosts[3].Addr)
	fmt.Printf("  the cookie: its datagrams and the blue ones cannot be read by each other.\n")
	fmt.Printf("  And cluster red, from host 1:\n")
	if err := addrs(ctx, bin, hosts[0], red, hosts[3]); err != nil {
		return err
	}

	// 4. Leave.
	gone := agents[1]
	fmt.Printf("\n4. Stop the agent on host %d (%s) with SIGTERM: it multicasts a signed leave.\n", gone.host.Index, gone.name)
	t0 := time.Now()
	if err := gone.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		return err
	}
	select {
	case err := <-gone.exited:
		gone.done = true
		if err != nil {
			return fmt.Errorf("agent %s: %w\n%s", gone.name, err, gone.stderr)
		}
	case <-time.After(3 * time.Second):
		return fmt.Errorf("agent %s did not exit within 3s of SIGTERM", gone.name)
	case <-ctx.Done():
		return ctx.Err()
	}
	fmt.Printf("  It exited with status 0 after %s.\n", time.Since(t0).Round(time.Millisecond))
	if line, ok := waitLog(agents[0], "peer leave", 2*time.Second); ok {
		fmt.Printf("  %s logged at once: %s\n", agents[0].name, line)
	} else {
		fmt.Printf("  %s did not log the leave within 2s; it will drop %s after three silent intervals.\n", agents[0].name, gone.name)
	}

	// 5. Lookup again.
	fmt.Printf("\n5. Ask again from host %d:\n", asker.Index)
	if err := addrs(ctx, bin, asker, blue, hosts[0], hosts[2]); err != nil {
		return err
	}
	// 6. A BEAM node, found by provider=libcluster.
	if err := beamDemo(ctx, bin, hosts[0], asker); err != nil {
		return err
	}
	fmt.Printf("\nDone in %s. The README's CLI section shows how to run it on real hosts.\n", time.Since(start).Round(10*time.Millisecond))
	return nil
}

// keygen runs `go-discover-mcgossip keygen` and returns the cookie.
func keygen(ctx context.Context, bin string) (string, error) {
	out, err := exec.CommandContext(ctx, bin, "keygen").Output()
	if err != nil {
		return "", fmt.Errorf("keygen: %w", err)
	}
	return strings.TrimSpace(string(out)), nil
}

// startAgent starts an agent on h and waits until it has joined the group
// (its "agent started" log line).
func startAgent(ctx context.Context, bin string, h *lab.Host, name, cookie string) (*agent, error) {
	cmd := h.Command(ctx, bin, "agent", "provider=mcgossip", "cookie="+cookie, "name="+name)
	pr, pw := io.Pipe()
	a := &agent{host: h, name: name, cmd: cmd, stderr: &syncBuffer{}, exited: make(chan error, 1), lines: make(chan string, 256)}
	cmd.Stderr = io.MultiWriter(a.stderr, pw)
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting the agent on host %d: %w", h.Index, err)
	}
	go func() {
		err := cmd.Wait()
		pw.Close()
		a.exited <- err
	}()
	ready := make(chan bool, 1)
	go func() {
		sc := bufio.NewScanner(pr)
		found := false
		for sc.Scan() {
			switch {
			case !found && strings.Contains(sc.Text(), "agent started"):
				found = true
				ready <- true
			case found:
				select {
				case a.lines <- sc.Text():
				default:
				}
			}
		}
		if !found {
			ready <- false
		}
	}()
	select {
	case ok := <-ready:
		if !ok {
			return nil, fmt.Errorf("the agent on host %d exited:\n%s", h.Index, a.stderr)
		}
	case <-time.After(5 * time.Second):
		return nil, fmt.Errorf("the agent on host %d did not start within 5s:\n%s", h.Index, a.stderr)
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	return a, nil
}

// addrs runs `go-discover-mcgossip -q addrs` on h, prints what it found,
// and fails unless it found exactly the hosts want.
func addrs(ctx context.Context, bin string, h *lab.Host, cookie string, want ...*lab.Host) error {
	args := []string{"-q", "addrs", "provider=mcgossip", "cookie=" + cookie}
	cmd := h.Command(ctx, bin, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	fmt.Printf("  $ go-discover-mcgossip -q addrs provider=mcgossip cookie=%s...\n", cookie[:6])
	t0 := time.Now()
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("addrs on host %d: %w: %s", h.Index, err, strings.TrimSpace(stderr.String()))
	}
	found := strings.Fields(stdout.String())
	fmt.Printf("  found %d in %s: %s\n", len(found), time.Since(t0).Round(time.Millisecond), strings.Join(found, " "))
	var expected []string
	for _, w := range want {
		expected = append(expected, w.Addr.String())
	}
	if !slices.Equal(found, expected) {
		return fmt.Errorf("addrs on host %d found %q, expected %q: the demo did not work as it should", h.Index, found, expected)
	}
	return nil
}

// waitLog waits at most d for a log line of a that contains sub, and
// returns it without its timestamp.
func waitLog(a *agent, sub string, d time.Duration) (string, bool) {
	deadline := time.After(d)
	for {
		select {
		case l := <-a.lines:
			if i := strings.Index(l, "["); i >= 0 && strings.Contains(l, sub) {
				return l[i:], true
			}
		case <-deadline:
			return "", false
		}
	}
}

// syncBuffer is a bytes.Buffer safe for concurrent use.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

// Write appends p.
func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// String returns what was written.
func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
