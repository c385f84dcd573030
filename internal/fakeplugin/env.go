package fakeplugin

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mcgossip/go-discover-mcgossip/internal/netns"
	"github.com/mcgossip/go-discover-mcgossip/plugin"
)

// The environment of the helper processes.
const (
	EnvHelper   = "PLUGINTEST_HELPER"    // the role: serve, hang, host, or one of Main's roles
	envStateDir = "PLUGINTEST_STATE_DIR" // where a plugin records start and close
	envMark     = "PLUGINTEST_MARK"      // tags every process of one test
)

// Main is the TestMain of a package that uses Env: with EnvHelper set, the
// test binary plays that role (serve: the Fake and Plain as a plugin;
// hang: a plugin that never completes the handshake; host: a host of the
// serve plugin, see below; linger: a child a plugin forks, which sleeps;
// or one of roles) and exits; otherwise the tests run in a private network
// namespace (netns.Main).
func Main(m *testing.M, roles map[string]func() int) {
	role := os.Getenv(EnvHelper)
	if role == "" {
		netns.Main(m)
		return
	}
	switch {
	case role == "serve":
		os.Exit(Serve())
	case role == "hang":
		os.Exit(hang())
	case role == "host":
		os.Exit(host())
	case role == "linger":
		os.Exit(linger())
	case roles[role] != nil:
		os.Exit(roles[role]())
	}
	fmt.Fprintf(os.Stderr, "unknown helper role %q\n", role)
	os.Exit(2)
}

// Serve records "started" and serves "fake" (a Fake) and "second" (a
// Plain) as plugin version v1.2.3-test, with opts.
func Serve(opts ...plugin.ServeOption) int {
	RecordState("started")
	opts = append([]plugin.ServeOption{plugin.ServeVersion("v1.2.3-test")}, opts...)
	plugin.Serve(map[string]plugin.Provider{"fake": NewFake(), "second": Plain{}}, opts...)
	return 0
}

// hang never completes the handshake; it leaves when its host is gone.
func hang() int {
	RecordState("started")
	ppid := os.Getppid()
	t := time.NewTicker(50 * time.Millisecond)
	defer t.Stop()
	for range t.C {
		if os.Getppid() != ppid {
			break
		}
	}
	return 0
}

// lingerFor is how long a "linger" child lives unless it is killed: longer
// than any bound a test puts on closing its plugin.
const lingerFor = time.Minute

// linger is a long-lived child of a plugin: it sleeps, holding whatever
// its parent gave it (the Fake's fork mode gives it the plugin's stdout
// and stderr).
func linger() int {
	time.Sleep(lingerFor)
	return 0
}

// host is a plugin host in a process of its own: it loads the serve
// plugin, prints "pid <plugin pid>" once the plugin answered, and runs
// until its stdin closes (the test kills it with SIGKILL instead).
func host() int {
	os.Unsetenv(EnvHelper) // the plugin must not inherit the host role
	exe, err := os.Executable()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	rp, err := plugin.NewProvider(exe, plugin.WithName("fake"), plugin.WithEnv(EnvHelper+"=serve"))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer rp.Close()
	addrs, err := rp.Addrs(map[string]string{"mode": "pid"}, nil)
	if err != nil || len(addrs) != 1 {
		fmt.Fprintln(os.Stderr, "host: Addrs:", addrs, err)
		return 1
	}
	fmt.Printf("pid %s\n", addrs[0])
	_, _ = io.Copy(io.Discard, os.Stdin)
	return 0
}

// RecordState creates "<what>.<pid>" in the state directory, if one is set.
func RecordState(what string) {
	if dir := os.Getenv(envStateDir); dir != "" {
		_ = os.WriteFile(filepath.Join(dir, fmt.Sprintf("%s.%d", what, os.Getpid())), nil, 0o644)
	}
}

// Env is the environment of one test's helper processes.
type Env struct {
	t     *testing.T
	Exe   string // the test binary
	mark  string
	state string
}

// NewEnv prepares a test that runs helper processes: each carries a mark,
// and at the end of the test (after the other cleanups) no process with
// that mark may remain.
func NewEnv(t *testing.T) *Env {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	e := &Env{t: t, Exe: exe, mark: hex.EncodeToString(b), state: t.TempDir()}
	t.Cleanup(e.checkLeftovers)
	return e
}

// Vars is the environment of a helper of the given role.
func (e *Env) Vars(role string) []string {
	return append(e.MarkVars(), EnvHelper+"="+role)
}

// MarkVars is the environment of any process of the test (helper or not):
// the mark, the state directory, and no sleep at exit (a -race binary
// sleeps 1s at exit unless told not to, which would hide how fast a plugin
// leaves).
func (e *Env) MarkVars() []string {
	return []string{
		envMark + "=" + e.mark, envStateDir + "=" + e.state,
		"GORACE=" + strings.TrimSpace(os.Getenv("GORACE")+" atexit_sleep_ms=0"),
	}
}

// Provider loads the test binary as a plugin in role, closed at the end of
// the test.
func (e *Env) Provider(role string, opts ...plugin.Option) *plugin.RemoteProvider {
	e.t.Helper()
	opts = append([]plugin.Option{plugin.WithName("fake"), plugin.WithEnv(e.Vars(role)...)}, opts...)
	rp, err := plugin.NewProvider(e.Exe, opts...)
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { _ = rp.Close() })
	return rp
}

// States returns the sorted names of the state files ("started.<pid>").
func (e *Env) States() []string {
	entries, err := os.ReadDir(e.state)
	if err != nil {
		e.t.Fatal(err)
	}
	var names []string
	for _, en := range entries {
		names = append(names, en.Name())
	}
	sort.Strings(names)
	return names
}

// checkLeftovers fails the test when a process with the test's mark is
// still alive 3s after the test (zombies have an empty environ and do not
// count); it kills them.
func (e *Env) checkLeftovers() {
	deadline := time.Now().Add(3 * time.Second)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		pids := marked(e.mark)
		if len(pids) == 0 {
			return
		}
		if time.Now().After(deadline) {
			for _, pid := range pids {
				if p, err := os.FindProcess(pid); err == nil {
					_ = p.Kill()
				}
			}
			e.t.Errorf("processes left behind: %v", pids)
			return
		}
		<-tick.C
	}
}

// marked lists the live processes whose environment has the mark.
func marked(mark string) []int {
	want := []byte(envMark + "=" + mark + "\x00")
	dirs, _ := filepath.Glob("/proc/[0-9]*")
	var pids []int
	for _, d := range dirs {
		b, err := os.ReadFile(d + "/environ")
		if err != nil || !bytes.Contains(b, want) {
			continue
		}
		pid, _ := strconv.Atoi(filepath.Base(d))
		pids = append(pids, pid)
	}
	return pids
}
