package libcluster

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// The fixtures of the Erlang tests: epmd and BEAM nodes started from the
// test, inside its network namespace (see TestMain), and killed with their
// process group when the test ends, passed or not.

// erlWait bounds every wait for an Erlang process.
const erlWait = 20 * time.Second

// requireErlang skips the test when Erlang/OTP (erl, epmd, escript) is
// missing, except under CI=true, where that fails: CI installs erlang-base
// and erlang-crypto.
func requireErlang(t *testing.T) {
	t.Helper()
	for _, tool := range []string{"erl", "epmd", "escript"} {
		if _, err := exec.LookPath(tool); err != nil {
			skipOrFail(t, fmt.Sprintf("these tests run real Erlang nodes and need Erlang/OTP (%s: %v); "+
				"on Debian: apt-get install erlang-base erlang-crypto", tool, err))
		}
	}
}

// skipOrFail skips the test with msg, or fails it under CI=true: CI must
// never pass by skipping.
func skipOrFail(t *testing.T, msg string) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatal(msg + "; CI=true, so this fails instead of skipping")
	}
	t.Skip(msg)
}

// hasCrypto reports whether OTP's crypto application is installed (Debian's
// erlang-crypto), which the secret mode of the escript uses.
var hasCrypto = sync.OnceValue(func() bool {
	cmd := exec.Command("erl", "-noshell", "-eval",
		`halt(case code:which(crypto) of non_existing -> 1; _ -> 0 end).`)
	cmd.Env = append(cmd.Environ(), noCrashDump...)
	return cmd.Run() == nil
})

// requireCrypto skips the test (fails it under CI=true) without crypto.
func requireCrypto(t *testing.T) {
	t.Helper()
	if !hasCrypto() {
		skipOrFail(t, "the secret mode of the escript needs OTP's crypto: apt-get install erlang-crypto")
	}
}

// noCrashDump is in the environment of every Erlang process the tests
// start: a node that crashes (or is killed while it boots) writes no
// erl_crash.dump into the package's directory.
var noCrashDump = []string{"ERL_CRASH_DUMP=/dev/null", "ERL_CRASH_DUMP_SECONDS=0"}

// epmdPorts hands out a port per epmd, so tests never share one.
var epmdPorts atomic.Int32

func init() { epmdPorts.Store(4370) }

// startEpmd starts an epmd on 127.0.0.1 and returns its port once it
// accepts connections.
func startEpmd(t *testing.T) uint16 {
	t.Helper()
	port := uint16(epmdPorts.Add(1))
	start(t, "epmd", "epmd", "-port", strconv.Itoa(int(port)), "-address", "127.0.0.1")
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(int(port)))
	deadline := time.Now().Add(erlWait)
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			return port
		}
		if time.Now().After(deadline) {
			t.Fatalf("epmd on %s never accepted: %v", addr, err)
		}
		<-tick.C
	}
}

// beam is a BEAM node running testdata/libcluster_node.escript.
type beam struct {
	t     *testing.T
	name  string
	stdin io.Writer
	lines chan string // its standard output, a line each
}

// startBeam starts a node with the escript's key=value arguments and
// waits until it is ready. epmdPort is where its epmd listens (0: none).
func startBeam(t *testing.T, epmdPort uint16, args ...string) *beam {
	t.Helper()
	script, err := filepath.Abs(filepath.Join("testdata", "libcluster_node.escript"))
	if err != nil {
		t.Fatal(err)
	}
	b := &beam{t: t, lines: make(chan string, 1024)}
	cmd := exec.Command("escript", append([]string{script}, args...)...)
	// Its own HOME, where distribution writes a .erlang.cookie.
	cmd.Env = append(os.Environ(), "HOME="+t.TempDir(), "ERL_EPMD_PORT="+strconv.Itoa(int(epmdPort)))
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	b.stdin = in
	startCmd(t, "beam", cmd)
	go func() {
		defer close(b.lines)
		s := bufio.NewScanner(out)
		for s.Scan() {
			b.lines <- s.Text()
		}
	}()
	ready := b.expect("ready ")
	b.name = strings.Fields(ready)[1]
	return b
}

// erlangNode starts an epmd and a node of that name and cookie, with
// distribution on 127.0.0.1, and returns the node and epmd's port.
func erlangNode(t *testing.T, name, cookie string, args ...string) (*beam, uint16) {
	t.Helper()
	requireErlang(t)
	port := startEpmd(t)
	args = append([]string{"name=" + name, "cookie=" + cookie, "dist_if=127.0.0.1"}, args...)
	return startBeam(t, port, args...), port
}

// do sends a command line to the node.
func (b *beam) do(cmd string) {
	b.t.Helper()
	if _, err := io.WriteString(b.stdin, cmd+"\n"); err != nil {
		b.t.Fatalf("telling %s %q: %v", b.name, cmd, err)
	}
}

// expect returns the next line that starts with prefix, skipping (and
// logging) the others, such as the node's log reports.
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
			b.t.Logf("%s: %s", b.name, l)
		case <-timeout:
			b.t.Fatalf("node %s printed no %q in %v", b.name, prefix, erlWait)
		}
	}
}

// wait waits until the node has exited (its output ends).
func (b *beam) wait() {
	b.t.Helper()
	timeout := time.After(erlWait)
	for {
		select {
		case _, ok := <-b.lines:
			if !ok {
				return
			}
		case <-timeout:
			b.t.Fatalf("node %s did not exit in %v", b.name, erlWait)
		}
	}
}

// nodes returns the node's view: its visible and hidden nodes, and how
// many warnings and errors it has logged.
func (b *beam) nodes() (visible, hidden string, logged int) {
	b.t.Helper()
	b.do("nodes")
	l := b.expect("nodes ")
	if _, err := fmt.Sscanf(l, "nodes visible=%s hidden=%s logged=%d", &visible, &hidden, &logged); err != nil {
		b.t.Fatalf("%q: %v", l, err)
	}
	return visible, hidden, logged
}

// start starts a command in its own process group, killed with it when
// the test ends.
func start(t *testing.T, what, name string, args ...string) {
	t.Helper()
	startCmd(t, what, exec.Command(name, args...))
}

// startCmd starts cmd in its own process group (beam.smp starts helpers)
// and registers its end: the whole group is killed when the test ends,
// and it dies with the test binary anyway (Pdeathsig).
func startCmd(t *testing.T, what string, cmd *exec.Cmd) {
	t.Helper()
	var stderr strings.Builder // read only once Wait has copied it all
	cmd.Stderr = &stderr
	cmd.Env = append(cmd.Environ(), noCrashDump...)
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
