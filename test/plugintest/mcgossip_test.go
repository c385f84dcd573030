//go:build linux

package plugintest

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"maps"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	discover "github.com/hashicorp/go-discover"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/mcgossip/go-discover-mcgossip/internal/cli"
	"github.com/mcgossip/go-discover-mcgossip/internal/fakeplugin"
	"github.com/mcgossip/go-discover-mcgossip/internal/lab"
	"github.com/mcgossip/go-discover-mcgossip/plugin"
	"github.com/mcgossip/go-discover-mcgossip/provider/mcgossip"
)

// mcgPort is the group port of the tests with the real provider; the
// test binary runs in a private namespace, so nothing else uses it.
const mcgPort = "47011"

// startEngines runs n announcing mcgossip engines in this process, on lo,
// advertising 192.0.2.1:<8301+i> (not a loopback address, which advertise
// refuses, nor this host's, which lookups leave out), and returns them and
// their addresses.
func startEngines(t testing.TB, cookie string, n int) ([]*mcgossip.Engine, []string) {
	t.Helper()
	var engines []*mcgossip.Engine
	var want []string
	for i := range n {
		addr := fmt.Sprintf("192.0.2.1:%d", 8301+i)
		cfg, err := mcgossip.ParseConfig(map[string]string{
			"iface": "lo", "port": mcgPort, "cookie": cookie, "advertise": addr, "interval": "1s",
		})
		if err != nil {
			t.Fatal(err)
		}
		e, err := mcgossip.NewEngine(cfg, nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = e.Close() })
		engines = append(engines, e)
		want = append(want, addr)
	}
	return engines, want
}

// providerLines keeps the lines a provider logged ("[LEVEL]
// discover-mcgossip: ..."), with what differs from run to run (engine ids,
// ports, counts, times) masked, sorted. Drop reports and verifications
// are left out: whether a foreign heartbeat, or an agent's heartbeat
// before its answer, falls into a lookup's window is a matter of timing.
func providerLines(lines []string) []string {
	var out []string
	for _, l := range lines {
		if strings.Contains(l, "dropped a datagram") || strings.Contains(l, "verifying peer") {
			continue
		}
		if _, rest, ok := strings.Cut(l, "] "); ok && strings.HasPrefix(rest, "discover-mcgossip: ") {
			l = variable.ReplaceAllString(l, "#")
			out = append(out, plurals.ReplaceAllString(l, "# $1")) // "1 datagram", "2 datagrams"
		}
	}
	slices.Sort(out)
	return out
}

var (
	variable = regexp.MustCompile(`\b[0-9a-f]{8}\b|[0-9]+`)
	plurals  = regexp.MustCompile(`# (datagram|peer)s\b`)
)

// TestMcgossipThroughPlugin: go-discover with the mcgossip provider loaded
// from the real go-discover-mcgossip binary finds the same agents, with the
// same errors and log lines, as with the provider in process.
func TestMcgossipThroughPlugin(t *testing.T) {
	e := fakeplugin.NewEnv(t)
	bin := lab.Binary(t)
	cookie := cli.NewCookie()
	engines, want := startEngines(t, cookie, 3)

	loaded, err := plugin.NewProvider(bin, plugin.WithEnv(e.MarkVars()...))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = loaded.Close() })
	inproc := &mcgossip.Provider{}
	t.Cleanup(func() { _ = inproc.Close() })
	viaPlugin, err := discover.New(discover.WithProviders(map[string]discover.Provider{"mcgossip": loaded}))
	if err != nil {
		t.Fatal(err)
	}
	inProcess, err := discover.New(discover.WithProviders(map[string]discover.Provider{"mcgossip": inproc}))
	if err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		name string
		args map[string]string // over the base config
		want []string
		err  bool
	}{
		{"finds the agents", map[string]string{"expect": "3"}, want, false},
		// Longer than the agents' heartbeat gaps (1s ± 20%), so that both
		// lookups hear another cookie and log the same line.
		{"foreign cookie", map[string]string{"cookie": cli.NewCookie(), "timeout": "1500ms"}, []string{}, false},
		{"config error", map[string]string{"port": "70000"}, nil, true},
		{"unknown key", map[string]string{"prot": "1"}, nil, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := map[string]string{
				"provider": "mcgossip", "iface": "lo", "port": mcgPort, "announce": "false",
				"timeout": "5s", "cookie": cookie,
			}
			maps.Copy(args, tc.args)
			cfg := discover.Config(args).String()
			var inLog, plugLog fakeplugin.LogBuf
			got, err := inProcess.Addrs(cfg, inLog.Logger())
			gotP, errP := viaPlugin.Addrs(cfg, plugLog.Logger())
			if tc.err {
				if err == nil || errP == nil || err.Error() != errP.Error() {
					t.Fatalf("errors differ:\nin process: %v\nplugin:     %v", err, errP)
				}
				// A provider error marked as a configuration error
				// (errdefs' InvalidParameter) crosses as InvalidArgument.
				var marked interface{ InvalidParameter() }
				if !errors.As(err, &marked) {
					t.Fatalf("in-process config error %q is not marked InvalidParameter", err)
				}
				if !errors.As(errP, &marked) {
					t.Fatalf("config error %q is not marked InvalidParameter through the plugin", errP)
				}
				if status.Code(errP) != codes.InvalidArgument {
					t.Fatalf("config error crossed as %v; want InvalidArgument", status.Code(errP))
				}
				t.Logf("error %q crossed as %v", errP, status.Code(errP))
				return
			}
			if err != nil || errP != nil {
				t.Fatalf("in process: %v; plugin: %v", err, errP)
			}
			if !slices.Equal(got, tc.want) || !slices.Equal(gotP, tc.want) {
				t.Fatalf("in process %q, plugin %q; want %q", got, gotP, tc.want)
			}
			in, pl := providerLines(inLog.Lines()), providerLines(plugLog.Lines())
			if !slices.Equal(in, pl) {
				t.Fatalf("provider log lines differ:\nin process:\n%s\nplugin:\n%s\n(all plugin lines:\n%s)",
					strings.Join(in, "\n"), strings.Join(pl, "\n"), plugLog.String())
			}
		})
	}

	// An announcing lookup makes the plugin's engine a peer; closing the
	// provider must make it leave (signed leave, not expiry).
	events, unsubscribe := engines[0].Events()
	defer unsubscribe()
	if _, err := loaded.Addrs(map[string]string{
		"provider": "mcgossip", "iface": "lo", "port": mcgPort, "cookie": cookie,
		"advertise": "192.0.2.1:9999", "expect": "3", "timeout": "5s",
	}, log.New(&fakeplugin.LogBuf{}, "", 0)); err != nil {
		t.Fatal(err)
	}
	waitEvent(t, events, mcgossip.EventJoin, "192.0.2.1:9999")
	if err := loaded.Close(); err != nil {
		t.Fatal(err)
	}
	waitEvent(t, events, mcgossip.EventLeave, "192.0.2.1:9999")
}

// TestBinaryHandshakeFirst: launched with the handshake cookie,
// go-discover-mcgossip writes go-plugin's handshake line first on stdout
// (nothing before it), and exits 0 on SIGTERM.
func TestBinaryHandshakeFirst(t *testing.T) {
	e := fakeplugin.NewEnv(t)
	cmd := exec.Command(lab.Binary(t))
	cmd.Env = append(os.Environ(), e.MarkVars()...)
	cmd.Env = append(cmd.Env, plugin.Handshake.MagicCookieKey+"="+plugin.Handshake.MagicCookieValue, "PLUGIN_PROTOCOL_VERSIONS=1")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	first := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(stdout).ReadString('\n')
		first <- line
		_, _ = io.Copy(io.Discard, stdout)
		exited <- cmd.Wait()
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-exited
	})
	select {
	case line := <-first:
		if !regexp.MustCompile(`^1\|1\|unix\|[^|]+\|grpc\|`).MatchString(line) {
			t.Fatalf("first stdout line %q; want the handshake line 1|1|unix|<socket>|grpc|...", line)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no handshake line within 10s")
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		exited <- err // for the cleanup
		if err != nil {
			t.Fatalf("after SIGTERM: %v; want exit 0", err)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("the plugin did not exit within 2s of SIGTERM")
	}
}

// waitEvent waits up to 5s for an event of kind about the peer addr.
func waitEvent(t *testing.T, events <-chan mcgossip.Event, kind mcgossip.EventKind, addr string) {
	t.Helper()
	timeout := time.After(5 * time.Second)
	for {
		select {
		case ev := <-events:
			if ev.Kind == kind && ev.Peer.String() == addr {
				return
			}
		case <-timeout:
			t.Fatalf("no %v event for %s within 5s", kind, addr)
		}
	}
}

// TestMcgossipLab: on a virtual LAN, three hosts run `go-discover-mcgossip
// agent`; on a fourth, go-discover finds them through the plugin exactly as
// with the provider in process.
func TestMcgossipLab(t *testing.T) {
	e := fakeplugin.NewEnv(t)
	bin := lab.Binary(t)
	l := lab.New(t, 4)
	cookie := cli.NewCookie()
	group := []string{"port=" + mcgPort, "cookie=" + cookie}
	var want []string
	for _, h := range l.Hosts()[1:] {
		startAgent(t, e, h, bin, append(group, "interval=1s")...)
		want = append(want, h.Addr.String())
	}
	slices.Sort(want)

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := l.Host(1).Command(ctx, e.Exe)
	cmd.Env = append(os.Environ(), append(e.Vars("discover"),
		"PLUGINTEST_BIN="+bin,
		"PLUGINTEST_CFG=provider=mcgossip announce=false expect=3 timeout=5s "+strings.Join(group, " "))...)
	var stderr fakeplugin.LogBuf
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("discover helper: %v\nstderr:\n%s", err, stderr.String())
	}
	var res discoverResult
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("discover helper printed %q: %v", out, err)
	}
	if res.InProcessErr != "" || res.PluginErr != "" || !slices.Equal(res.InProcess, want) || !slices.Equal(res.Plugin, want) {
		t.Fatalf("in process %q (%s), plugin %q (%s); want %q\nstderr:\n%s",
			res.InProcess, res.InProcessErr, res.Plugin, res.PluginErr, want, stderr.String())
	}
}

// startAgent runs `bin agent args...` on h until the end of the test and
// waits until it has started.
func startAgent(t *testing.T, e *fakeplugin.Env, h *lab.Host, bin string, args ...string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	cmd := h.Command(ctx, bin, append([]string{"agent"}, args...)...)
	cmd.Env = append(os.Environ(), e.MarkVars()...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatal(err)
	}
	started := make(chan struct{})
	var agentLog fakeplugin.LogBuf
	go func() {
		sc := bufio.NewScanner(stderr)
		once := sync.Once{}
		for sc.Scan() {
			fmt.Fprintln(&agentLog, sc.Text())
			if strings.Contains(sc.Text(), "agent started") {
				once.Do(func() { close(started) })
			}
		}
	}()
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM) // the agent leaves
		select {
		case <-exited:
		case <-time.After(5 * time.Second):
			cancel() // SIGKILL
			<-exited
		}
		cancel()
	})
	select {
	case <-started:
	case err := <-exited:
		exited <- err
		t.Fatalf("agent on %s exited: %v\n%s", h, err, agentLog.String())
	case <-time.After(10 * time.Second):
		t.Fatalf("agent on %s did not start within 10s:\n%s", h, agentLog.String())
	}
}

// TestMcgossipPluginExcludeLocal: through the plugin too, a lookup leaves
// out the engine at this host's address (lo's 127.0.0.1 here) unless
// exclude_local=false.
func TestMcgossipPluginExcludeLocal(t *testing.T) {
	e := fakeplugin.NewEnv(t)
	cookie := cli.NewCookie()
	_, want := startEngines(t, cookie, 1)
	local, err := mcgossip.ParseConfig(map[string]string{"iface": "lo", "port": mcgPort, "cookie": cookie, "interval": "1s"})
	if err != nil {
		t.Fatal(err)
	}
	le, err := mcgossip.NewEngine(local, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = le.Close() })
	loaded, err := plugin.NewProvider(lab.Binary(t), plugin.WithEnv(e.MarkVars()...))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = loaded.Close() })
	d, err := discover.New(discover.WithProviders(map[string]discover.Provider{"mcgossip": loaded}))
	if err != nil {
		t.Fatal(err)
	}
	base := "provider=mcgossip iface=lo port=" + mcgPort + " announce=false cookie=" + cookie
	var logs fakeplugin.LogBuf // go-discover wants a logger
	if got, err := d.Addrs(base+" expect=1 stable=300ms", logs.Logger()); err != nil || !slices.Equal(got, want) {
		t.Errorf("through the plugin: %q, %v; want %q, not this host's 127.0.0.1", got, err, want)
	}
	if got, err := d.Addrs(base+" expect=2 exclude_local=false", logs.Logger()); err != nil || !slices.Equal(got, append([]string{"127.0.0.1"}, want...)) {
		t.Errorf("through the plugin, exclude_local=false: %q, %v; want 127.0.0.1 and %q", got, err, want)
	}
}
