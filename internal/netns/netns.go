// Package netns runs a test binary inside a private network namespace, so
// that nothing a test sends can leave the machine.
//
// Every test package that opens a socket calls Main from its TestMain:
//
//	func TestMain(m *testing.M) { netns.Main(m) }
//
// Main re-executes the test binary in a new network namespace
// (CLONE_NEWNET), brings its loopback interface up with multicast enabled,
// routes 224.0.0.0/4 to it and runs the tests there. The namespace has no
// other interface, so multicast sent by a test can only loop back.
//
// Creating a network namespace needs CAP_SYS_ADMIN (root), or unprivileged
// user namespaces, which Main tries next. Without either, Main skips the
// package with a message, except when the environment has CI=true: CI must
// never pass by skipping, so there Main fails.
package netns

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
const envInside = "MCGOSSIP_NETNS_INSIDE"

// Inside reports whether the process runs in a namespace made by Main.
func Inside() bool { return os.Getenv(envInside) == "1" }

// Main runs m inside a private network namespace and exits with its
// status. It does not return.
func Main(m *testing.M) {
	if Inside() {
		if err := setupLoopback(); err != nil {
			fmt.Fprintf(os.Stderr, "netns: setting up loopback: %v\n", err)
			os.Exit(1)
		}
		os.Exit(m.Run())
	}
	os.Exit(reexec())
}

// reexec starts this binary again in a new network namespace and returns
// the exit code to use.
func reexec() int {
	exe, err := os.Executable()
	if err != nil {
		return fail(fmt.Errorf("finding the test binary: %w", err))
	}
	// Pdeathsig belongs to the thread that starts the child: keep this
	// goroutine on one thread so the child dies with us, never before.
	runtime.LockOSThread()

	err = run(exe, &syscall.SysProcAttr{
		Cloneflags: syscall.CLONE_NEWNET,
		Pdeathsig:  syscall.SIGKILL,
	})
	if errors.Is(err, syscall.EPERM) && os.Geteuid() != 0 {
		// Not root: an unprivileged user namespace may still allow it.
		err = run(exe, &syscall.SysProcAttr{
			Cloneflags:  syscall.CLONE_NEWUSER | syscall.CLONE_NEWNET,
			Pdeathsig:   syscall.SIGKILL,
			UidMappings: []syscall.SysProcIDMap{{ContainerID: 0, HostID: os.Geteuid(), Size: 1}},
			GidMappings: []syscall.SysProcIDMap{{ContainerID: 0, HostID: os.Getegid(), Size: 1}},
		})
	}
	var exit *exec.ExitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &exit):
		if code := exit.ExitCode(); code >= 0 {
			return code
		}
		return 1 // killed by a signal
	case errors.Is(err, syscall.EPERM), errors.Is(err, syscall.EACCES), errors.Is(err, syscall.EINVAL):
		return skip(err)
	default:
		return fail(err)
	}
}

// run executes the test binary with the same arguments and standard
// streams, marked as the inside child.
func run(exe string, attr *syscall.SysProcAttr) error {
	cmd := exec.Command(exe, os.Args[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	cmd.Env = append(os.Environ(), envInside+"=1")
	cmd.SysProcAttr = attr

	// Pass interrupts on, so the tests inside can clean up (lab namespaces,
	// child processes) before they exit, instead of dying with us.
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	defer signal.Stop(sigs)
	if err := cmd.Start(); err != nil {
		return err
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	for {
		select {
		case err := <-done:
			return err
		case sig := <-sigs:
			_ = cmd.Process.Signal(sig)
		}
	}
}

func skip(err error) int {
	msg := fmt.Sprintf("cannot create a network namespace (%v): these tests open sockets and run only "+
		"in a private namespace; run them as root", err)
	if os.Getenv("CI") == "true" {
		return fail(errors.New(msg + "; CI=true, so this fails instead of skipping"))
	}
	fmt.Fprintf(os.Stderr, "netns: SKIP: %s\n", msg)
	return 0
}

func fail(err error) int {
	fmt.Fprintf(os.Stderr, "netns: FAIL: %v\n", err)
	return 1
}
