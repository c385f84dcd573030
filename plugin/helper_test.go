//go:build linux

package plugin_test

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	discover "github.com/hashicorp/go-discover"

	"github.com/mcgossip/go-discover-mcgossip/plugin"
	"github.com/mcgossip/go-discover-mcgossip/provider/mcgossip"
	"github.com/mcgossip/go-discover-mcgossip/test/netns"
)

// The test binary doubles as the processes the tests need (go-plugin's
// helper-process pattern): with envHelper set, TestMain runs that role
// instead of the tests.
const (
	envHelper   = "PLUGINTEST_HELPER"    // serve | serve-v2 | hang | host
	envStateDir = "PLUGINTEST_STATE_DIR" // where a plugin records start and close
	envMark     = "PLUGINTEST_MARK"      // tags every process of one test
)

func TestMain(m *testing.M) {
	if role := os.Getenv(envHelper); role != "" {
		os.Exit(helperMain(role))
	}
	netns.Main(m)
}

func helperMain(role string) int {
	switch role {
	case "serve", "serve-v2":
		recordState("started")
		opts := []plugin.ServeOption{plugin.ServeVersion("v1.2.3-test")}
		if role == "serve-v2" {
			opts = append(opts, plugin.ServeProtocol(2))
		}
		plugin.Serve(map[string]plugin.Provider{"fake": newFake(), "second": &plainProvider{}}, opts...)
		return 0
	case "hang":
		// Never completes the handshake; leaves when its host is gone.
		recordState("started")
		ppid := os.Getppid()
		t := time.NewTicker(50 * time.Millisecond)
		defer t.Stop()
		for range t.C {
			if os.Getppid() != ppid {
				return 0
			}
		}
	case "host":
		return hostMain()
	case "discover":
		return discoverMain()
	}
	fmt.Fprintf(os.Stderr, "unknown helper role %q\n", role)
	return 2
}

// hostMain is a go-discover host in a process of its own: it loads the fake
// plugin, prints "pid <plugin pid>" once the plugin answered, and runs
// until its stdin closes (the test kills it with SIGKILL instead).
func hostMain() int {
	os.Unsetenv(envHelper) // the plugin must not inherit the host role
	exe, err := os.Executable()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	rp, err := plugin.NewProvider(exe, plugin.WithName("fake"), plugin.WithEnv(envHelper+"=serve"))
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

// discoverMain runs one go-discover lookup ($PLUGINTEST_CFG) with the
// mcgossip provider in process and through the plugin binary
// $PLUGINTEST_BIN, and prints both results as JSON on stdout.
func discoverMain() int {
	os.Unsetenv(envHelper)
	cfg := os.Getenv("PLUGINTEST_CFG")
	var res discoverResult
	inproc := &mcgossip.Provider{}
	defer inproc.Close()
	loaded, err := plugin.NewProvider(os.Getenv("PLUGINTEST_BIN"))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer loaded.Close()
	for _, side := range []struct {
		p     discover.Provider
		addrs *[]string
		err   *string
	}{{inproc, &res.InProcess, &res.InProcessErr}, {loaded, &res.Plugin, &res.PluginErr}} {
		d, err := discover.New(discover.WithProviders(map[string]discover.Provider{"mcgossip": side.p}))
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		*side.addrs, err = d.Addrs(cfg, log.New(os.Stderr, "", 0))
		if err != nil {
			*side.err = err.Error()
		}
	}
	if err := json.NewEncoder(os.Stdout).Encode(res); err != nil {
		return 1
	}
	return 0
}

// discoverResult is the output of the "discover" helper.
type discoverResult struct {
	InProcess, Plugin       []string
	InProcessErr, PluginErr string
}

// recordState creates "<what>.<pid>" in the state directory, if one is set.
func recordState(what string) {
	if dir := os.Getenv(envStateDir); dir != "" {
		_ = os.WriteFile(filepath.Join(dir, fmt.Sprintf("%s.%d", what, os.Getpid())), nil, 0o644)
	}
}

// fake is the provider the plugin helper serves; args["mode"] picks what
// Addrs does.
type fake struct {
	mu      sync.Mutex
	ua      string
	closing chan struct{}
	once    sync.Once
}

func newFake() *fake { return &fake{closing: make(chan struct{})} }

// invalidParam is a configuration error with the errdefs marker method.
type invalidParam struct{ msg string }

// Error returns the message.
func (e invalidParam) Error() string { return e.msg }

// InvalidParameter marks a configuration error (errdefs).
func (e invalidParam) InvalidParameter() {}

// Addrs does what args["mode"] says.
func (f *fake) Addrs(args map[string]string, l *log.Logger) ([]string, error) {
	if l == nil {
		l = log.New(io.Discard, "", 0)
	}
	switch args["mode"] {
	case "", "ok":
		return strings.Fields(args["addrs"]), nil
	case "pid":
		return []string{strconv.Itoa(os.Getpid())}, nil
	case "args":
		var kv []string
		for k, v := range args {
			kv = append(kv, k+"="+v)
		}
		sort.Strings(kv)
		return kv, nil
	case "mtls": // go-plugin hands the host's certificate over with AutoMTLS
		return []string{strconv.FormatBool(os.Getenv("PLUGIN_CLIENT_CERT") != "")}, nil
	case "ua":
		f.mu.Lock()
		defer f.mu.Unlock()
		return []string{f.ua}, nil
	case "invalid":
		return nil, fmt.Errorf("discover-fake: %w", invalidParam{`invalid port "70000": must be an integer from 1 to 65535`})
	case "fail":
		return nil, errors.New("discover-fake: no peer answered")
	case "log":
		tag := args["tag"]
		l.Printf("[TRACE] discover-fake: trace %s", tag)
		l.Printf("[DEBUG] discover-fake: debug %s", tag)
		l.Printf("[INFO] discover-fake: info %s", tag)
		l.Printf("[WARN] discover-fake: warn %s", tag)
		l.Printf("[ERROR] discover-fake: error %s", tag)
		return []string{tag}, nil
	case "block":
		<-f.closing
		return nil, errors.New("discover-fake: closed")
	case "crash":
		panic("fake crash")
	}
	return nil, invalidParam{fmt.Sprintf("discover-fake: unknown mode %q", args["mode"])}
}

// Help returns a short help text.
func (f *fake) Help() string { return "Fake:\n\n    provider: \"fake\"\n" }

// SetUserAgent records s for mode=ua.
func (f *fake) SetUserAgent(s string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.ua = s
}

// Close ends blocked calls and records the close in the state directory.
func (f *fake) Close() error {
	f.once.Do(func() { close(f.closing) })
	recordState("closed")
	return nil
}

// plainProvider has neither SetUserAgent nor Close.
type plainProvider struct{}

// Addrs returns one fixed address.
func (plainProvider) Addrs(map[string]string, *log.Logger) ([]string, error) {
	return []string{"192.0.2.1"}, nil
}

// Help returns a short help text.
func (plainProvider) Help() string { return "Plain:\n" }

// env is the environment of one test's helper processes.
type env struct {
	t     *testing.T
	exe   string
	mark  string
	state string
}

// newEnv prepares a test that runs helper processes: each carries a mark,
// and at the end of the test (after the other cleanups) no process with
// that mark may remain.
func newEnv(t *testing.T) *env {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	e := &env{t: t, exe: exe, mark: hex.EncodeToString(b), state: t.TempDir()}
	t.Cleanup(e.checkLeftovers)
	return e
}

// vars is the environment of a helper of the given role. A -race binary
// sleeps 1s at exit unless told not to, which would hide how fast a plugin
// leaves.
func (e *env) vars(role string) []string {
	return append(e.markVars(), envHelper+"="+role)
}

// markVars is the environment of any process of the test (helper or not):
// the mark, the state directory, and no sleep at exit.
func (e *env) markVars() []string {
	return []string{
		envMark + "=" + e.mark, envStateDir + "=" + e.state,
		"GORACE=" + strings.TrimSpace(os.Getenv("GORACE")+" atexit_sleep_ms=0"),
	}
}

// provider loads the test binary as a plugin in role.
func (e *env) provider(role string, opts ...plugin.Option) *plugin.RemoteProvider {
	e.t.Helper()
	opts = append([]plugin.Option{plugin.WithName("fake"), plugin.WithEnv(e.vars(role)...)}, opts...)
	rp, err := plugin.NewProvider(e.exe, opts...)
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { _ = rp.Close() })
	return rp
}

// states returns the sorted names of the state files ("started.<pid>").
func (e *env) states() []string {
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
func (e *env) checkLeftovers() {
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

// logBuf is a *log.Logger whose lines a test can read.
type logBuf struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

// Write appends p.
func (b *logBuf) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// logger returns a *log.Logger writing to b.
func (b *logBuf) logger() *log.Logger { return log.New(b, "", 0) }

// lines returns the lines logged.
func (b *logBuf) lines() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []string
	sc := bufio.NewScanner(bytes.NewReader(b.buf.Bytes()))
	for sc.Scan() {
		out = append(out, sc.Text())
	}
	return out
}

// String returns everything logged.
func (b *logBuf) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
