package clitest

import (
	"bytes"
	"context"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/mcgossip/go-discover-mcgossip/internal/cli"
)

// TestRunLeavesNoGoroutine runs agent, watch and addrs in-process, in the
// test's private namespace (lo only), and checks that once RunContext has
// returned no goroutine of theirs is left.
func TestRunLeavesNoGoroutine(t *testing.T) {
	cookie := cli.NewCookie()
	before := runtime.NumGoroutine()

	ctx, cancel := context.WithCancel(context.Background())
	type ran struct {
		name           string
		code           int
		stdout, stderr *syncBuffer
	}
	done := make(chan ran, 2)
	for _, args := range [][]string{
		{"agent", "-log-level", "debug", "iface=lo", "cookie=" + cookie},
		{"watch", "-log-level", "debug", "iface=lo", "cookie=" + cookie},
	} {
		r := ran{name: args[0], stdout: &syncBuffer{}, stderr: &syncBuffer{}}
		go func() {
			r.code = cli.RunContext(ctx, args, r.stdout, r.stderr)
			done <- r
		}()
	}
	var out, errs bytes.Buffer
	// The agent is on this host: only exclude_local=false lists it.
	code := cli.RunContext(context.Background(), []string{"-q", "addrs", "iface=lo", "cookie=" + cookie, "expect=1", "timeout=3s", "exclude_local=false"}, &out, &errs)
	if code != 0 || strings.Count(out.String(), "\n") != 1 || len(strings.Fields(out.String())) != 1 || errs.Len() != 0 {
		t.Errorf("addrs: exit %d, stdout %q, stderr %q; want 0 and the agent", code, out.String(), errs.String())
	}
	cancel()
	for range 2 {
		select {
		case r := <-done:
			if r.code != 0 {
				t.Errorf("%s: exit %d after cancel; stderr:\n%s", r.name, r.code, r.stderr)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("agent or watch did not return within 5s of the cancel")
		}
	}

	// Goroutines that have returned may take a moment to be counted out.
	deadline := time.After(3 * time.Second)
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for runtime.NumGoroutine() > before {
		select {
		case <-tick.C:
		case <-deadline:
			buf := make([]byte, 1<<20)
			t.Fatalf("%d goroutines before, %d after:\n%s", before, runtime.NumGoroutine(), buf[:runtime.Stack(buf, true)])
		}
	}
}
