package clitest

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/mcgossip/go-discover-mcgossip/internal/lab"
)

// cmdTimeout bounds every command a test runs.
const cmdTimeout = 20 * time.Second

// result is how a finished command went.
type result struct {
	stdout, stderr string
	code           int
	took           time.Duration
}

// command returns the binary with args, on host h (nil: in the test's own
// namespace, made by netns.Main).
func command(ctx context.Context, t *testing.T, h *lab.Host, args ...string) *exec.Cmd {
	t.Helper()
	bin := lab.Binary(t)
	if h == nil {
		return exec.CommandContext(ctx, bin, args...)
	}
	return h.Command(ctx, bin, args...)
}

// run runs the binary with args on h (nil: here) to the end.
func run(t *testing.T, h *lab.Host, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), cmdTimeout)
	defer cancel()
	cmd := command(ctx, t, h, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	t0 := time.Now()
	err := cmd.Run()
	r := result{stdout: stdout.String(), stderr: stderr.String(), took: time.Since(t0)}
	var exit *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exit) && exit.ExitCode() >= 0:
		r.code = exit.ExitCode()
	default:
		t.Fatalf("%s: %v (ctx: %v)\nstderr: %s", strings.Join(args, " "), err, ctx.Err(), r.stderr)
	}
	return r
}

// proc is a long-running command (agent, watch).
type proc struct {
	t      *testing.T
	cmd    *exec.Cmd
	cancel context.CancelFunc
	stderr *syncBuffer
	lines  chan string // stdout, line by line; closed at EOF
	errLns chan string // stderr, line by line; closed at EOF
	exited chan error  // cmd.Wait's result
	code   int
	done   bool
}

// start starts the binary with args on h and registers a cleanup that
// kills it if the test has not stopped it.
func start(t *testing.T, h *lab.Host, args ...string) *proc {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*cmdTimeout)
	cmd := command(ctx, t, h, args...)
	p := &proc{t: t, cmd: cmd, cancel: cancel, stderr: &syncBuffer{},
		lines: make(chan string, 1024), errLns: make(chan string, 1024), exited: make(chan error, 1)}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); scanLines(stdout, nil, p.lines) }()
	go func() { defer wg.Done(); scanLines(stderr, p.stderr, p.errLns) }()
	go func() {
		wg.Wait() // all output read before Wait closes the pipes
		p.exited <- cmd.Wait()
	}()
	t.Cleanup(func() {
		if !p.done {
			_ = cmd.Process.Kill()
			p.wait(5 * time.Second)
		}
		cancel()
	})
	return p
}

// scanLines sends r's lines to ch (dropping them when nobody reads and ch is
// full) and copies them to all, then closes ch.
func scanLines(r io.Reader, all *syncBuffer, ch chan string) {
	defer close(ch)
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		if all != nil {
			fmt.Fprintln(all, sc.Text())
		}
		select {
		case ch <- sc.Text():
		default:
		}
	}
}

// waitStderr waits until a stderr line contains sub and returns it; it
// fails the test after d or if the process exits first.
func (p *proc) waitStderr(sub string, d time.Duration) string {
	p.t.Helper()
	return p.await(p.errLns, "stderr", fmt.Sprintf("%q", sub), d, func(l string) bool { return strings.Contains(l, sub) })
}

// waitLine waits until a stdout line satisfies ok and returns it; it fails
// the test after d or at EOF.
func (p *proc) waitLine(d time.Duration, what string, ok func(string) bool) string {
	p.t.Helper()
	return p.await(p.lines, "stdout", what, d, ok)
}

// await waits until a line of ch (the process's stream) satisfies ok and
// returns it; it fails the test after d or when the stream ends.
func (p *proc) await(ch <-chan string, stream, what string, d time.Duration, ok func(string) bool) string {
	p.t.Helper()
	deadline := time.After(d)
	for {
		select {
		case l, open := <-ch:
			if !open {
				p.t.Fatalf("%s ended before %s; stderr:\n%s", stream, what, p.stderr)
			}
			if ok(l) {
				return l
			}
		case <-deadline:
			p.t.Fatalf("no %s on %s within %v; stderr:\n%s", what, stream, d, p.stderr)
		}
	}
}

// signal sends sig and waits at most d for the exit; it returns the exit
// code and how long the exit took.
func (p *proc) signal(sig syscall.Signal, d time.Duration) (int, time.Duration) {
	p.t.Helper()
	t0 := time.Now()
	if err := p.cmd.Process.Signal(sig); err != nil {
		p.t.Fatalf("signal %v: %v", sig, err)
	}
	if !p.wait(d) {
		p.t.Fatalf("no exit within %v of %v; stderr:\n%s", d, sig, p.stderr)
	}
	return p.code, time.Since(t0)
}

// wait waits at most d for the process to exit and reports whether it did.
func (p *proc) wait(d time.Duration) bool {
	if p.done {
		return true
	}
	select {
	case err := <-p.exited:
		p.done = true
		var exit *exec.ExitError
		switch {
		case err == nil:
		case errors.As(err, &exit):
			p.code = exit.ExitCode()
		default:
			p.code = -1
		}
		return true
	case <-time.After(d):
		return false
	}
}

// syncBuffer is a bytes.Buffer safe for concurrent use.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

// Write appends p.
func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

// String returns what was written.
func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// keygen returns a fresh cookie from the binary's keygen command.
func keygen(t *testing.T) string {
	t.Helper()
	r := run(t, nil, "keygen")
	if r.code != 0 || r.stderr != "" {
		t.Fatalf("keygen: exit %d, stderr %q", r.code, r.stderr)
	}
	return strings.TrimSpace(r.stdout)
}

// startAgent starts an agent on h with args and waits until it has joined
// the group.
func startAgent(t *testing.T, h *lab.Host, args ...string) *proc {
	t.Helper()
	p := start(t, h, append([]string{"agent"}, args...)...)
	p.waitStderr("agent started", 10*time.Second)
	return p
}
