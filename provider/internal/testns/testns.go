// Package testns runs a test binary of the provider module in a private
// network namespace, so that nothing its tests send can leave the machine:
//
//	func TestMain(m *testing.M) { testns.Main(m) }
//
// Main re-executes the test binary under unshare(1) with a new network
// namespace (and, when not root, a user namespace that maps the caller to
// root), brings lo up with multicast on, routes 224.0.0.0/4 to it with
// ip(8), and runs the tests there. The namespace has no other interface,
// so multicast sent by a test can only loop back.
//
// It is the provider module's own, small counterpart of the repository's
// internal/netns, which this module cannot import. Without the privilege
// (or without unshare or ip), Main skips the package with a message,
// except when the environment has CI=true: CI must never pass by skipping,
// so there it fails.
package testns

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"runtime"
	"syscall"
	"testing"
)

// envInside marks the re-executed child that runs inside the namespace.
const envInside = "MCGOSSIP_TESTNS_INSIDE"

// Main runs m inside a private network namespace and exits with its
// status. It does not return.
func Main(m *testing.M) {
	if os.Getenv(envInside) == "1" {
		// go test -fuzz workers run Main again in the same namespace: the
		// setup is idempotent.
		if err := setup(); err != nil {
			fmt.Fprintf(os.Stderr, "testns: FAIL: setting up lo: %v\n", err)
			os.Exit(1)
		}
		os.Exit(m.Run())
	}
	flags, err := unshareFlags()
	if err != nil {
		msg := fmt.Sprintf("cannot create a network namespace (%v): these tests open sockets and run only in a private namespace; run them as root", err)
		if os.Getenv("CI") == "true" {
			fmt.Fprintf(os.Stderr, "testns: FAIL: %s; CI=true, so this fails instead of skipping\n", msg)
			os.Exit(1)
		}
		fmt.Fprintf(os.Stderr, "testns: SKIP: %s\n", msg)
		os.Exit(0)
	}
	os.Exit(reexec(flags))
}

// unshareFlags returns the unshare(1) flags that work here: a network
// namespace, with a user namespace when that alone is refused.
func unshareFlags() ([]string, error) {
	var errs []error
	for _, flags := range [][]string{{"--net"}, {"--user", "--map-root-user", "--net"}} {
		out, err := exec.Command("unshare", append(flags, "true")...).CombinedOutput()
		if err == nil {
			return flags, nil
		}
		errs = append(errs, fmt.Errorf("unshare %v: %w: %s", flags, err, out))
	}
	return nil, errors.Join(errs...)
}

// reexec runs this test binary again inside a new namespace, with the same
// arguments and streams, passes SIGINT and SIGTERM on (so the tests can
// clean up), and returns the exit code to use.
func reexec(flags []string) int {
	exe, err := os.Executable()
	if err != nil {
		fmt.Fprintf(os.Stderr, "testns: FAIL: finding the test binary: %v\n", err)
		return 1
	}
	// Pdeathsig belongs to the thread that starts the child: keep this
	// goroutine on one thread so the child dies with us, never before.
	runtime.LockOSThread()
	// unshare execs the binary itself: the child is the test process.
	cmd := exec.Command("unshare", append(append(flags, "--", exe), os.Args[1:]...)...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	cmd.Env = append(os.Environ(), envInside+"=1")
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	defer signal.Stop(sigs)
	if err := cmd.Start(); err != nil {
		fmt.Fprintf(os.Stderr, "testns: FAIL: %v\n", err)
		return 1
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	for {
		select {
		case err := <-done:
			var exit *exec.ExitError
			switch {
			case err == nil:
				return 0
			case errors.As(err, &exit) && exit.ExitCode() >= 0:
				return exit.ExitCode()
			}
			fmt.Fprintf(os.Stderr, "testns: FAIL: %v\n", err)
			return 1
		case sig := <-sigs:
			_ = cmd.Process.Signal(sig)
		}
	}
}

// setup brings lo up with multicast on and routes 224.0.0.0/4 to it.
func setup() error {
	for _, args := range [][]string{
		{"link", "set", "lo", "up", "multicast", "on"},
		{"route", "replace", "224.0.0.0/4", "dev", "lo"},
	} {
		if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
			return fmt.Errorf("ip %v: %w: %s", args, err, out)
		}
	}
	return nil
}
