package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/mcgossip/go-discover-mcgossip/internal/lab"
)

// beamDemo starts a BEAM node on host h that sends libcluster's Gossip
// heartbeats (the escript of the provider's tests, run as `erl -name
// app@<ip> -setcookie ...` runs a node), then finds it from host asker
// with `addrs provider=libcluster erlang_cookie_file=...`. Without
// Erlang/OTP it says so and skips.
func beamDemo(ctx context.Context, bin string, h, asker *lab.Host) error {
	fmt.Printf("\n6. Elixir and Erlang: a BEAM node of a libcluster Gossip cluster on host %d:\n", h.Index)
	if _, err := exec.LookPath("escript"); err != nil {
		fmt.Println("  (skipped: Erlang/OTP is not installed; apt-get install erlang-base erlang-crypto)")
		return nil
	}
	root, err := lab.RepoRoot()
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "mcg-demo-beam-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	const cookie = "demo-erlang-cookie"
	cookieFile := filepath.Join(dir, "erlang.cookie")
	if err := os.WriteFile(cookieFile, []byte(cookie+"\n"), 0o600); err != nil {
		return err
	}

	epmd := h.Command(ctx, "epmd")
	stop, err := startGroup(epmd)
	if err != nil {
		return fmt.Errorf("starting epmd on host %d: %w", h.Index, err)
	}
	defer stop()
	if err := waitEpmd(h); err != nil {
		return err
	}
	name := "app@" + h.Addr.String()
	node := h.Command(ctx, "escript", filepath.Join(root, "provider", "libcluster", "testdata", "libcluster_node.escript"),
		"if="+h.Addr.String(), "group=233.252.1.32", "timing=gossip")
	node.Env = append(os.Environ(), "HOME="+dir, "ERL_FLAGS=-name "+name+" -setcookie "+cookie+" -start_epmd false")
	out, err := node.StdoutPipe()
	if err != nil {
		return err
	}
	in, err := node.StdinPipe() // open until the end: at its end the node stops
	if err != nil {
		return err
	}
	defer in.Close()
	stopNode, err := startGroup(node)
	if err != nil {
		return fmt.Errorf("starting the BEAM node: %w", err)
	}
	defer stopNode()
	if line, ok := firstLine(out, "ready ", 20*time.Second); !ok {
		return fmt.Errorf("the BEAM node on host %d did not start", h.Index)
	} else {
		fmt.Printf("  %s (OTP %s) multicasts a heartbeat every 1 to 5 s on 233.252.1.32:45892.\n", name, strings.Fields(line)[2])
	}

	fmt.Printf("  On host %d, ask who shares the Erlang cookie (a hidden handshake proves it):\n", asker.Index)
	fmt.Printf("  $ go-discover-mcgossip -q addrs provider=libcluster erlang_cookie_file=erlang.cookie\n")
	cmd := asker.Command(ctx, bin, "-q", "addrs", "provider=libcluster", "erlang_cookie_file="+cookieFile)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	t0 := time.Now()
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("addrs provider=libcluster on host %d: %w: %s", asker.Index, err, strings.TrimSpace(stderr.String()))
	}
	found := strings.TrimSpace(stdout.String())
	fmt.Printf("  found in %s: %s\n", time.Since(t0).Round(time.Millisecond), found)
	if found != h.Addr.String() {
		return fmt.Errorf("addrs provider=libcluster found %q, expected %q: the demo did not work as it should", found, h.Addr)
	}
	fmt.Printf("  A lookup only listens, for one heartbeat gap; it checked the cookie as a\n  hidden node, which the cluster never lists in nodes().\n")
	return nil
}

// startGroup starts cmd in a process group of its own and returns what
// kills the group.
func startGroup(cmd *exec.Cmd) (func(), error) {
	// No erl_crash.dump in the working directory from a node that crashes
	// or is killed while it boots.
	cmd.Env = append(cmd.Environ(), "ERL_CRASH_DUMP=/dev/null", "ERL_CRASH_DUMP_SECONDS=0")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	return func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		_ = cmd.Wait()
	}, nil
}

// waitEpmd waits until epmd on h accepts connections.
func waitEpmd(h *lab.Host) error {
	addr := net.JoinHostPort(h.Addr.String(), "4369")
	deadline := time.Now().Add(10 * time.Second)
	for {
		err := h.Do(func() error {
			c, err := net.DialTimeout("tcp", addr, time.Second)
			if err == nil {
				c.Close()
			}
			return err
		})
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("epmd on host %d never accepted: %w", h.Index, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// firstLine returns the first line of r that starts with prefix, within d.
func firstLine(r interface{ Read([]byte) (int, error) }, prefix string, d time.Duration) (string, bool) {
	found := make(chan string, 1)
	go func() {
		s := bufio.NewScanner(r)
		for s.Scan() {
			if strings.HasPrefix(s.Text(), prefix) {
				found <- s.Text()
				break
			}
		}
		close(found)
		for s.Scan() { // keep the pipe drained
		}
	}()
	select {
	case l, ok := <-found:
		return l, ok
	case <-time.After(d):
		return "", false
	}
}
