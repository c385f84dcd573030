package e2e

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mcgossip/go-discover-mcgossip/internal/lab"
)

// Fixtures of the libcluster tests: epmd and BEAM nodes in lab hosts (or in
// the test's namespace), each in a process group of its own that is killed
// when the test ends, passed or not; lab.Close kills anything left in the
// hosts anyway. The nodes run the provider module's escript
// (provider/libcluster/testdata/libcluster_node.escript), started as
// `erl -name n@198.18.0.x -setcookie C` starts a node (ERL_FLAGS).

// erlWait bounds every wait for an Erlang process.
const erlWait = 20 * time.Second

// requireErlang skips the test without Erlang/OTP (erl, epmd, escript),
// except under CI=true, where it fails.
func requireErlang(t *testing.T) {
	t.Helper()
	for _, tool := range []string{"erl", "epmd", "escript"} {
		if _, err := exec.LookPath(tool); err != nil {
			msg := fmt.Sprintf("the libcluster tests run real Erlang nodes (%s: %v); on Debian: apt-get install erlang-base erlang-crypto", tool, err)
			if os.Getenv("CI") == "true" {
				t.Fatal(msg + "; CI=true, so this fails instead of skipping")
			}
			t.Skip(msg)
		}
	}
}

// escript returns the path of the node escript.
func escript(t *testing.T) string {
	t.Helper()
	root, err := lab.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Join(root, "provider", "libcluster", "testdata", "libcluster_node.escript")
}

// command returns a command on h, or in the test's namespace when h is
// nil.
func command(h *lab.Host, name string, args ...string) *exec.Cmd {
	if h == nil {
		return exec.Command(name, args...)
	}
	return h.Command(context.Background(), name, args...)
}

// startGroup starts cmd in a process group of its own, killed (the whole
// group: beam.smp starts helpers) when the test ends, and with the test
// binary (Pdeathsig).
//
// Pdeathsig fires when the thread that started the child ends, and
// Host.Do ends the threads it uses: so the test's goroutine keeps its
// thread from now on, and the thread ends with it, after the cleanups.
func startGroup(t *testing.T, what string, cmd *exec.Cmd) {
	t.Helper()
	runtime.LockOSThread()
	var stderr strings.Builder // read only after Wait
	if cmd.Stderr == nil {
		cmd.Stderr = &stderr
	}
	// No erl_crash.dump in the package's directory from a node that
	// crashes or is killed while it boots.
	cmd.Env = append(cmd.Environ(), "ERL_CRASH_DUMP=/dev/null", "ERL_CRASH_DUMP_SECONDS=0")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting %s: %v", what, err)
	}
	t.Cleanup(func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		_ = cmd.Wait()
		if s := stderr.String(); t.Failed() && s != "" {
			t.Logf("%s stderr:\n%s", what, s)
		}
	})
}

// startEpmd starts epmd on h (in the foreground, so it dies with the test)
// and waits until it accepts connections at addr:4369.
func startEpmd(t *testing.T, h *lab.Host) {
	t.Helper()
	startGroup(t, "epmd on "+h.Name, command(h, "epmd"))
	addr := net.JoinHostPort(h.Addr.String(), "4369")
	deadline := time.Now().Add(erlWait)
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for {
		err := h.Do(func() error {
			c, err := net.DialTimeout("tcp", addr, time.Second)
			if err == nil {
				c.Close()
			}
			return err
		})
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("epmd on %s never accepted: %v", h, err)
		}
		<-tick.C
	}
}

// beam is a BEAM node running the escript.
type beam struct {
	t     *testing.T
	name  string
	stdin io.Writer
	lines chan string
}

// startNode starts the escript on h (nil: the test's namespace) with its
// key=value args; with name and cookie, as `erl -name <name> -setcookie
// <cookie>` (epmd must run on h). It waits until the node is ready.
func startNode(t *testing.T, h *lab.Host, name, cookie string, args ...string) *beam {
	t.Helper()
	cmd := command(h, "escript", append([]string{escript(t)}, args...)...)
	cmd.Env = append(os.Environ(), "HOME="+t.TempDir())
	if name != "" {
		cmd.Env = append(cmd.Env, "ERL_FLAGS=-name "+name+" -setcookie "+cookie+" -start_epmd false")
	}
	b := &beam{t: t, lines: make(chan string, 1024)}
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	b.stdin = in
	startGroup(t, "node "+name, cmd)
	go func() {
		defer close(b.lines)
		s := bufio.NewScanner(out)
		for s.Scan() {
			b.lines <- s.Text()
		}
	}()
	b.name = strings.Fields(b.expect("ready "))[1]
	return b
}

// do sends a command line to the node.
func (b *beam) do(cmd string) {
	b.t.Helper()
	if _, err := io.WriteString(b.stdin, cmd+"\n"); err != nil {
		b.t.Fatalf("telling %s %q: %v", b.name, cmd, err)
	}
}

// expect returns the next line that starts with prefix, skipping the
// others.
func (b *beam) expect(prefix string) string {
	b.t.Helper()
	timeout := time.After(erlWait)
	for {
		select {
		case l, ok := <-b.lines:
			if !ok {
				b.t.Fatalf("node %s ended before printing %q", b.name, prefix)
			}
			if strings.HasPrefix(l, prefix) {
				return l
			}
		case <-timeout:
			b.t.Fatalf("node %s printed no %q in %v", b.name, prefix, erlWait)
		}
	}
}

// nodes returns the node's visible and hidden nodes, and how many warnings
// and errors it has logged.
func (b *beam) nodes() (visible, hidden string, logged int) {
	b.t.Helper()
	b.do("nodes")
	l := b.expect("nodes ")
	if _, err := fmt.Sscanf(l, "nodes visible=%s hidden=%s logged=%d", &visible, &hidden, &logged); err != nil {
		b.t.Fatalf("%q: %v", l, err)
	}
	return visible, hidden, logged
}
