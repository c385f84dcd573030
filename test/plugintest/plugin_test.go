//go:build linux

// Package plugintest tests the plugin package with go-discover itself as
// the host, and the real go-discover-mcgossip binary as the plugin (these
// need go-discover, which the root module does not require). The tests of
// the plugin machinery with a fake provider are in plugin/.
package plugintest

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	discover "github.com/hashicorp/go-discover"
	hclog "github.com/hashicorp/go-hclog"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/mcgossip/go-discover-mcgossip/internal/fakeplugin"
	"github.com/mcgossip/go-discover-mcgossip/plugin"
	"github.com/mcgossip/go-discover-mcgossip/provider/mcgossip"
)

// The test binary doubles as the processes the tests need (see
// fakeplugin.Main); "discover" runs one go-discover lookup.
func TestMain(m *testing.M) {
	fakeplugin.Main(m, map[string]func() int{"discover": discoverMain})
}

var (
	_ discover.Provider              = (*plugin.RemoteProvider)(nil)
	_ discover.ProviderWithUserAgent = (*plugin.RemoteProvider)(nil)
	_ plugin.Provider                = discover.Provider(nil)
)

// TestPlugin runs the fake provider in a plugin process through
// go-discover's own Discover, as a host would.
func TestPlugin(t *testing.T) {
	t.Parallel()
	e := fakeplugin.NewEnv(t)
	var fallback fakeplugin.LogBuf
	rp := e.Provider("serve", plugin.WithLogger(fallback.Logger()), plugin.WithLogLevel(hclog.Info))
	if got := e.States(); len(got) != 0 {
		t.Fatalf("the plugin ran before the first call: %v", got)
	}
	d, err := discover.New(discover.WithUserAgent("plugintest/1.0"),
		discover.WithProviders(map[string]discover.Provider{"fake": rp}))
	if err != nil {
		t.Fatal(err)
	}
	var b fakeplugin.LogBuf
	got, err := d.Addrs(`provider=fake mode=ok addrs="10.0.0.1 [2001:db8::1]:8301"`, b.Logger())
	if err != nil || !slices.Equal(got, []string{"10.0.0.1", "[2001:db8::1]:8301"}) {
		t.Fatalf("Addrs = %q, %v", got, err)
	}
	if got, err := d.Addrs("provider=fake mode=mtls", b.Logger()); err != nil || !slices.Equal(got, []string{"true"}) {
		t.Fatalf("AutoMTLS: plugin saw a client certificate: %q, %v", got, err)
	}
	if got, err := d.Addrs("provider=fake mode=ua", b.Logger()); err != nil || !slices.Equal(got, []string{"plugintest/1.0"}) {
		t.Fatalf("user agent = %q, %v", got, err)
	}
	if got, err := d.Addrs("provider=fake mode=args k=v", b.Logger()); err != nil || !slices.Equal(got, []string{"k=v", "mode=args", "provider=fake"}) {
		t.Fatalf("args = %q, %v", got, err)
	}

	_, err = d.Addrs("provider=fake mode=invalid", b.Logger())
	want := `discover-fake: invalid port "70000": must be an integer from 1 to 65535`
	if err == nil || err.Error() != want || status.Code(err) != codes.InvalidArgument {
		t.Fatalf("config error = %v (%v); want %q, InvalidArgument", err, status.Code(err), want)
	}
	_, err = d.Addrs("provider=fake mode=fail", b.Logger())
	if err == nil || err.Error() != "discover-fake: no peer answered" || status.Code(err) != codes.Unknown {
		t.Fatalf("runtime error = %v (%v)", err, status.Code(err))
	}

	// The provider's lines reach the caller's logger at their level, as
	// written, before Addrs returns.
	var lb fakeplugin.LogBuf
	if _, err := rp.Addrs(map[string]string{"mode": "log", "tag": "x"}, lb.Logger()); err != nil {
		t.Fatal(err)
	}
	if got, want := lb.Lines(), fakeplugin.LogLines("x"); !slices.Equal(got, want) {
		t.Fatalf("logged\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	if h := d.Help(); !strings.Contains(h, fakeplugin.NewFake().Help()) {
		t.Fatalf("Help = %q", h)
	}
	info, err := rp.Info()
	if err != nil || info.Version != "v1.2.3-test" || !slices.Equal(info.Providers, []string{"fake", "second"}) || info.Protocol != 1 {
		t.Fatalf("Info = %+v, %v", info, err)
	}
	if got := e.States(); len(got) != 1 || !strings.HasPrefix(got[0], "started.") {
		t.Fatalf("want one plugin process, states %v", got)
	}
	pid := strings.TrimPrefix(e.States()[0], "started.")

	if err := rp.Close(); err != nil {
		t.Fatal(err)
	}
	if got := e.States(); !slices.Contains(got, "closed."+pid) {
		t.Fatalf("the plugin did not close its providers: states %v", got)
	}
	// Machinery lines outside calls go to WithLogger's logger, from Info.
	if got := fallback.String(); !strings.Contains(got, "[INFO] plugin: plugin process exited: ") || strings.Contains(got, "[DEBUG]") {
		t.Fatalf("fallback logger got:\n%s", got)
	}
	// The calls' loggers got no machinery line below Info.
	if strings.Contains(b.String(), "[DEBUG] plugin") {
		t.Fatalf("a call's logger got debug lines of the plugin machinery:\n%s", b.String())
	}
	if _, err := rp.Addrs(nil, nil); !errors.Is(err, plugin.ErrClosed) {
		t.Fatalf("Addrs after Close: %v", err)
	}
}

// TestDiscover loads every go-discover-* executable of a directory.
func TestDiscover(t *testing.T) {
	t.Parallel()
	e := fakeplugin.NewEnv(t)
	dir := t.TempDir()
	for name, target := range map[string]string{
		"go-discover-fake":   e.Exe,
		"go-discover-second": e.Exe,
		"go-discover-dir":    "",
		"discover-other":     e.Exe,
	} {
		p := filepath.Join(dir, name)
		if target == "" {
			if err := os.Mkdir(p, 0o755); err != nil {
				t.Fatal(err)
			}
		} else if err := os.Symlink(target, p); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "go-discover-fake.sha256"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}

	loaded, err := plugin.Discover(dir, plugin.WithEnv(e.Vars("serve")...))
	if err != nil {
		t.Fatal(err)
	}
	providers := map[string]discover.Provider{}
	var names []string
	for name, p := range loaded {
		providers[name] = p
		names = append(names, name)
		t.Cleanup(func() { _ = p.Close() })
	}
	slices.Sort(names)
	if !slices.Equal(names, []string{"fake", "second"}) {
		t.Fatalf("Discover found %q", names)
	}
	d, err := discover.New(discover.WithProviders(providers))
	if err != nil {
		t.Fatal(err)
	}
	if got, err := d.Addrs("provider=second", log.New(io.Discard, "", 0)); err != nil || !slices.Equal(got, []string{"192.0.2.1"}) {
		t.Fatalf("second: %q, %v", got, err)
	}
	if got, err := d.Addrs("provider=fake mode=ok addrs=10.1.1.1", log.New(io.Discard, "", 0)); err != nil || !slices.Equal(got, []string{"10.1.1.1"}) {
		t.Fatalf("fake: %q, %v", got, err)
	}
}

// discoverMain runs one go-discover lookup ($PLUGINTEST_CFG) with the
// mcgossip provider in process and through the plugin binary
// $PLUGINTEST_BIN, and prints both results as JSON on stdout.
func discoverMain() int {
	os.Unsetenv(fakeplugin.EnvHelper)
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
