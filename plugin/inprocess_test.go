//go:build linux

package plugin_test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/mcgossip/go-discover-mcgossip/internal/fakeplugin"
	"github.com/mcgossip/go-discover-mcgossip/plugin"
)

// inProcess connects to a fake provider over an in-process gRPC connection.
func inProcess(t *testing.T, serveOpts ...plugin.ServeOption) *plugin.RemoteProvider {
	f := fakeplugin.NewFake()
	t.Cleanup(func() { _ = f.Close() })
	return plugin.InProcess(t, map[string]plugin.Provider{"fake": f, "second": fakeplugin.Plain{}}, "fake", serveOpts)
}

func TestInProcessAddrs(t *testing.T) {
	t.Parallel()
	rp := inProcess(t)
	for _, tc := range []struct {
		name  string
		args  map[string]string
		want  []string
		code  codes.Code
		error string
	}{
		{name: "addresses", args: map[string]string{"mode": "ok", "addrs": "10.0.0.1 10.0.0.2:8301"}, want: []string{"10.0.0.1", "10.0.0.2:8301"}},
		{name: "none", args: map[string]string{"mode": "ok"}, want: nil},
		{name: "args unchanged", args: map[string]string{"provider": "fake", "mode": "args", "a": "x y"},
			want: []string{"a=x y", "mode=args", "provider=fake"}},
		{name: "config error", args: map[string]string{"mode": "invalid"}, code: codes.InvalidArgument,
			error: `discover-fake: invalid port "70000": must be an integer from 1 to 65535`},
		{name: "runtime error", args: map[string]string{"mode": "fail"}, code: codes.Unknown,
			error: "discover-fake: no peer answered"},
		{name: "nil args", args: nil, want: nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := rp.Addrs(tc.args, nil)
			if tc.error == "" {
				if err != nil || !slices.Equal(got, tc.want) {
					t.Fatalf("Addrs = %q, %v; want %q", got, err, tc.want)
				}
				return
			}
			var pe *plugin.Error
			if !errors.As(err, &pe) || err.Error() != tc.error || pe.Code != tc.code || status.Code(err) != tc.code {
				t.Fatalf("Addrs error = %#v (%v); want %q with code %v", err, err, tc.error, tc.code)
			}
		})
	}
}

func TestInProcessUnknownProvider(t *testing.T) {
	t.Parallel()
	f := fakeplugin.NewFake()
	rp := plugin.InProcess(t, map[string]plugin.Provider{"fake": f, "second": fakeplugin.Plain{}}, "nope", nil)
	_, err := rp.Addrs(map[string]string{}, nil)
	want := `plugin in-process: no provider "nope": it serves "fake", "second"`
	if err == nil || err.Error() != want || status.Code(err) != codes.NotFound {
		t.Fatalf("Addrs error = %v (%v); want %q, NotFound", err, status.Code(err), want)
	}
	if h := rp.Help(); !strings.Contains(h, want) {
		t.Fatalf("Help = %q; want it to contain %q", h, want)
	}
}

func TestInProcessHelpInfoUserAgent(t *testing.T) {
	t.Parallel()
	rp := inProcess(t, plugin.ServeVersion("v9.9.9"))
	if h := rp.Help(); h != fakeplugin.NewFake().Help() {
		t.Fatalf("Help = %q", h)
	}
	info, err := rp.Info()
	if err != nil || info.Version != "v9.9.9" || !slices.Equal(info.Providers, []string{"fake", "second"}) || info.Protocol != plugin.ProtocolVersion {
		t.Fatalf("Info = %+v, %v", info, err)
	}
	for _, ua := range []string{"consul/1.21", "nomad/2.0"} {
		rp.SetUserAgent(ua)
		got, err := rp.Addrs(map[string]string{"mode": "ua"}, nil)
		if err != nil || !slices.Equal(got, []string{ua}) {
			t.Fatalf("user agent = %q, %v; want %q", got, err, ua)
		}
	}
}

func TestInProcessServeCodes(t *testing.T) {
	t.Parallel()
	rp := inProcess(t, plugin.ServeCodes(func(err error) codes.Code {
		switch {
		case strings.Contains(err.Error(), "no peer"):
			return codes.NotFound
		case strings.Contains(err.Error(), "70000"):
			return codes.OK // defers to the default rules, as Unknown does
		}
		return codes.Unknown
	}))
	for mode, want := range map[string]codes.Code{"fail": codes.NotFound, "invalid": codes.InvalidArgument, "nope": codes.InvalidArgument} {
		_, err := rp.Addrs(map[string]string{"mode": mode}, nil)
		if status.Code(err) != want {
			t.Errorf("mode %s: code %v (%v); want %v", mode, status.Code(err), err, want)
		}
	}
}

// TestInProcessLogs checks that each call's provider lines reach that
// call's logger, at their level, exactly as the provider wrote them, also
// with calls in parallel.
func TestInProcessLogs(t *testing.T) {
	t.Parallel()
	rp := inProcess(t)
	const calls = 8
	bufs := make([]*fakeplugin.LogBuf, calls)
	var wg sync.WaitGroup
	for i := range bufs {
		bufs[i] = &fakeplugin.LogBuf{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			tag := fmt.Sprint(i)
			if got, err := rp.Addrs(map[string]string{"mode": "log", "tag": tag}, bufs[i].Logger()); err != nil || !slices.Equal(got, []string{tag}) {
				t.Errorf("call %d: %q, %v", i, got, err)
			}
		}()
	}
	wg.Wait()
	for i, b := range bufs {
		want := fakeplugin.LogLines(fmt.Sprint(i))
		if got := b.Lines(); !slices.Equal(got, want) {
			t.Errorf("call %d logged\n%s\nwant\n%s", i, strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
	}
}

func TestLaunched(t *testing.T) {
	t.Setenv(plugin.Handshake.MagicCookieKey, "")
	if plugin.Launched() {
		t.Fatal("Launched without the cookie")
	}
	t.Setenv(plugin.Handshake.MagicCookieKey, plugin.Handshake.MagicCookieValue)
	if !plugin.Launched() {
		t.Fatal("not Launched with the cookie")
	}
}

func TestNewProviderErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for _, tc := range []struct {
		name string
		path string
		opts []plugin.Option
		want string
	}{
		{"missing", dir + "/go-discover-none", nil, "no such file"},
		{"directory", dir, nil, "is not a regular file"},
		{"bad checksum", "/bin/sh", []plugin.Option{plugin.WithSHA256("abc")}, "must be 64 hexadecimal digits"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := plugin.NewProvider(tc.path, tc.opts...)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("NewProvider error = %v; want %q", err, tc.want)
			}
		})
	}
}
