// Package clitest tests the go-discover-mcgossip binary end to end: its
// commands, exit codes and streams, run in a private network namespace
// (netns.Main) or on the hosts of a virtual LAN (internal/lab).
package clitest

import (
	"encoding/base64"
	"errors"
	"net"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mcgossip/go-discover-mcgossip/internal/cli"
	"github.com/mcgossip/go-discover-mcgossip/internal/lab"
	"github.com/mcgossip/go-discover-mcgossip/internal/netns"
	"github.com/mcgossip/go-discover-mcgossip/provider/mcgossip"
	"github.com/mcgossip/go-discover-mcgossip/provider/mcgossip/wire"
)

func TestMain(m *testing.M) { netns.Main(m) }

func TestHelp(t *testing.T) {
	for _, args := range [][]string{{}, {"help"}, {"-h"}, {"--help"}, {"-q", "help"}} {
		r := run(t, nil, args...)
		if r.code != 0 || r.stderr != "" {
			t.Errorf("%q: exit %d, stderr %q; want 0 and nothing", args, r.code, r.stderr)
		}
		for _, want := range []string{"Usage: go-discover-mcgossip", "addrs", "agent", "watch", "keygen", (&mcgossip.Provider{}).Help()} {
			if !strings.Contains(r.stdout, want) {
				t.Errorf("%q: stdout lacks %q", args, want)
			}
		}
	}
	// A command's help is its own, short: no provider help, no other command.
	for _, args := range [][]string{{"addrs", "-h"}, {"help", "addrs"}, {"-q", "addrs", "--help", "cookie=x"}} {
		r := run(t, nil, args...)
		if r.code != 0 || r.stderr != "" || !strings.HasPrefix(r.stdout, "Usage: go-discover-mcgossip addrs [flags] [key=val ...]\n") ||
			strings.Contains(r.stdout, "keygen") || strings.Contains(r.stdout, (&mcgossip.Provider{}).Help()) {
			t.Errorf("%q: exit %d, stderr %q, stdout:\n%s\nwant addrs's help alone", args, r.code, r.stderr, r.stdout)
		}
	}
}

// TestVersion: version, -v, -version and --version print the same line.
func TestVersion(t *testing.T) {
	want := run(t, nil, "version")
	if want.code != 0 || want.stderr != "" || !regexp.MustCompile(`^go-discover-mcgossip \S+ \(go.*wire protocol v`+strconv.Itoa(wire.Version)+`\)\n$`).MatchString(want.stdout) {
		t.Errorf("version: exit %d, stdout %q, stderr %q", want.code, want.stdout, want.stderr)
	}
	for _, flag := range []string{"-v", "-version", "--version"} {
		if r := run(t, nil, flag); r.code != 0 || r.stderr != "" || r.stdout != want.stdout {
			t.Errorf("%s: exit %d, stdout %q, stderr %q; want exit 0 and %q", flag, r.code, r.stdout, r.stderr, want.stdout)
		}
	}
}

func TestUsageErrors(t *testing.T) {
	cases := []struct {
		args []string
		msg  string
	}{
		{[]string{"frobnicate"}, `unknown command "frobnicate"`},
		{[]string{"-x", "addrs"}, "flag provided but not defined: -x"},
		{[]string{"addrs", "-x"}, "flag provided but not defined: -x"},
		{[]string{"agent", "--bogus"}, "flag provided but not defined: -bogus"},
		{[]string{"-log-level", "loud", "agent"}, `invalid -log-level "loud"`},
		{[]string{"keygen", "extra"}, "keygen takes no arguments"},
		{[]string{"version", "x=y"}, "version takes no arguments"},
		{[]string{"-log-json", "keygen"}, "flag -log-json does not apply to keygen"},
	}
	for _, c := range cases {
		r := run(t, nil, c.args...)
		first, rest, _ := strings.Cut(r.stderr, "\n")
		if r.code != 2 || r.stdout != "" || !strings.Contains(first, c.msg) ||
			!regexp.MustCompile(`^run 'go-discover-mcgossip help( \w+)?' for usage\n$`).MatchString(rest) {
			t.Errorf("%q: exit %d, stdout %q, stderr %q; want exit 2, a first line with %q, then the hint", c.args, r.code, r.stdout, r.stderr, c.msg)
		}
	}
}

// TestBadConfig: a bad config string or value is exit 1 with one line on
// stderr naming the key, -q or not.
func TestBadConfig(t *testing.T) {
	cases := []struct {
		args []string
		key  string
	}{
		{[]string{"provider=mcgossip", "port=70000"}, `port "70000"`},
		{[]string{"port=http"}, `port "http"`},
		{[]string{"multicast_addr=10.1.2.3"}, `multicast_addr "10.1.2.3"`},
		{[]string{`cookie="abc`}, "cookie: unbalanced quotes"},
		{[]string{"provider=mcgossip", "colour=blue"}, `"colour"`},
		{[]string{"provider=aws"}, `provider "aws"`},
		{[]string{"timeout=2s\tport=1"}, "timeout: - equals in key's value"},
		{[]string{"timeout=2s", "timeout=3s"}, "timeout: duplicate key"},
		{[]string{"cookie"}, "cookie: missing '='"},
	}
	for _, cmd := range [][]string{{"addrs"}, {"-q", "addrs"}, {"agent"}, {"watch"}} {
		for _, c := range cases {
			args := append(slices.Clone(cmd), c.args...)
			r := run(t, nil, args...)
			if r.code != 1 || r.stdout != "" || strings.Count(r.stderr, "\n") != 1 || !strings.Contains(r.stderr, c.key) || len(r.stderr) > 1024 {
				t.Errorf("%q: exit %d, stdout %q, stderr %q; want exit 1 and one stderr line with %q", args, r.code, r.stdout, r.stderr, c.key)
			}
		}
	}
	r := run(t, nil, "agent", "announce=false")
	if r.code != 1 || !strings.Contains(r.stderr, `announce "false"`) {
		t.Errorf("agent announce=false: exit %d, stderr %q; want exit 1 naming announce", r.code, r.stderr)
	}
}

// TestKeygen: 43 characters of base64url (256 bits) that need no quoting and
// round-trip as a cookie through the config parser.
func TestKeygen(t *testing.T) {
	a, b := keygen(t), keygen(t)
	for _, k := range []string{a, b} {
		raw, err := base64.RawURLEncoding.DecodeString(k)
		if len(k) != 43 || err != nil || len(raw) != 32 {
			t.Fatalf("keygen = %q (%d chars, %v); want 43 characters of unpadded base64url", k, len(k), err)
		}
		args, err := cli.ParseArgs("provider=mcgossip cookie=" + k)
		if err != nil || args["cookie"] != k {
			t.Fatalf("cookie=%s parses to %q, %v", k, args["cookie"], err)
		}
		cfg, err := mcgossip.ParseConfig(args)
		if err != nil || cfg.Cookie != k {
			t.Fatalf("mcgossip.ParseConfig(cookie=%s): %v", k, err)
		}
	}
	if a == b {
		t.Fatalf("two keygen runs gave the same cookie %q", a)
	}
}

// fields returns the addresses of an addrs stdout, which must be one line.
func fields(t *testing.T, r result) []string {
	t.Helper()
	if !strings.HasSuffix(r.stdout, "\n") || strings.Count(r.stdout, "\n") != 1 || strings.Contains(r.stdout, "  ") {
		t.Fatalf("addrs stdout %q: want one line of addresses separated by single spaces", r.stdout)
	}
	return strings.Fields(r.stdout)
}

func hostAddrs(hosts ...*lab.Host) []string {
	var out []string
	for _, h := range hosts {
		out = append(out, h.Addr.String())
	}
	slices.Sort(out)
	return out
}

// TestAddrs: three agents of one cluster, one of another; addrs from the
// fourth host finds exactly its cluster, with and without -q, flags before
// or after the command; an unknown cookie gives an empty line.
func TestAddrs(t *testing.T) {
	l := lab.New(t, 4)
	h := l.Hosts()
	blue, red := keygen(t), keygen(t)
	for _, host := range h[:3] {
		startAgent(t, host, "provider=mcgossip", "cookie="+blue, "interval=1s", "name=blue-"+strconv.Itoa(host.Index))
	}
	startAgent(t, h[3], "cookie="+red)

	want := hostAddrs(h[:3]...)
	for _, args := range [][]string{
		{"-q", "addrs", "provider=mcgossip", "cookie=" + blue, "stable=1s"},
		{"addrs", "-q", "provider=mcgossip", "cookie=" + blue, "expect=3", "stable=2s"},
		{"addrs", "provider=mcgossip", "cookie=" + blue, "stable=1s"},
	} {
		r := run(t, h[3], args...)
		if r.code != 0 {
			t.Fatalf("%q: exit %d, stderr %q", args, r.code, r.stderr)
		}
		if got := fields(t, r); !slices.Equal(got, want) {
			t.Errorf("%q: found %q, want %q", args, got, want)
		}
		if slices.Contains(args, "-q") && r.stderr != "" {
			t.Errorf("%q: stderr %q, want nothing with -q", args, r.stderr)
		}
	}
	checkAddrsJSON(t, run(t, h[3], "-q", "addrs", "-json", "cookie="+blue, "expect=3"), h[:3])
	r := run(t, h[0], "-q", "addrs", "cookie="+red, "stable=1s")
	if got := fields(t, r); r.code != 0 || !slices.Equal(got, hostAddrs(h[3])) {
		t.Errorf("red from host 1: exit %d, found %q, want %q", r.code, got, hostAddrs(h[3]))
	}
	r = run(t, h[0], "-q", "addrs", "cookie="+keygen(t), "timeout=300ms")
	if r.code != 0 || r.stdout != "\n" || r.stderr != "" {
		t.Errorf("unknown cookie: exit %d, stdout %q, stderr %q; want 0, an empty line, nothing", r.code, r.stdout, r.stderr)
	}
}

// TestAddrsOnce: two agents on one host and one on another; addrs prints
// each address once.
func TestAddrsOnce(t *testing.T) {
	l := lab.New(t, 3)
	h := l.Hosts()
	cookie := keygen(t)
	for _, host := range []*lab.Host{h[0], h[0], h[1]} {
		startAgent(t, host, "cookie="+cookie)
	}
	r := run(t, h[2], "-q", "addrs", "cookie="+cookie, "expect=3", "stable=2s")
	if got, want := fields(t, r), hostAddrs(h[0], h[1]); r.code != 0 || !slices.Equal(got, want) {
		t.Errorf("exit %d, found %q; want each address once, %q", r.code, got, want)
	}
}

// TestNetaddrsExec runs addrs exactly as go-netaddrs' exec= does: split on
// white space, run, exit 0, nothing on stderr, and every stdout field an IP
// address for net.ParseIP.
func TestNetaddrsExec(t *testing.T) {
	l := lab.New(t, 3)
	h := l.Hosts()
	cookie := keygen(t)
	startAgent(t, h[0], "cookie="+cookie)
	startAgent(t, h[1], "cookie="+cookie, "advertise="+h[1].Addr.String())

	cmdline := lab.Binary(t) + " -q addrs provider=mcgossip cookie=" + cookie + " expect=2 stable=2s"
	argv := strings.Fields(cmdline)
	cmd := h[2].Command(t.Context(), argv[0], argv[1:]...)
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s: %v; stderr %q", cmdline, err, stderr.String())
	}
	if stderr.Len() != 0 {
		t.Fatalf("stderr %q: go-netaddrs takes any stderr output as failure", stderr.String())
	}
	var got []string
	for _, f := range strings.Fields(stdout.String()) {
		ip := net.ParseIP(f)
		if ip == nil {
			t.Fatalf("stdout field %q is not an IP address (stdout %q)", f, stdout.String())
		}
		got = append(got, ip.String())
	}
	slices.Sort(got)
	if want := hostAddrs(h[0], h[1]); !slices.Equal(got, want) {
		t.Fatalf("found %q, want %q", got, want)
	}

	// Failure: non-zero exit, a short message on stderr.
	argv = strings.Fields(lab.Binary(t) + " -q addrs provider=mcgossip port=0")
	cmd = h[2].Command(t.Context(), argv[0], argv[1:]...)
	out, err := cmd.Output()
	var exit *exec.ExitError
	if err == nil || !errors.As(err, &exit) || exit.ExitCode() == 0 || len(out) != 0 || len(exit.Stderr) == 0 || len(exit.Stderr) > 1024 {
		t.Fatalf("bad port: err %v, stdout %q; want a non-zero exit, no stdout, 1-1024 bytes of stderr", err, out)
	}
}

// TestAgentLeave: an agent exits 0 within a second of SIGTERM; its leave
// reaches the other agent at once (not after three silent intervals), and
// the next addrs no longer finds it.
func TestAgentLeave(t *testing.T) {
	l := lab.New(t, 3)
	h := l.Hosts()
	cookie := keygen(t)
	a := startAgent(t, h[0], "cookie="+cookie)
	b := startAgent(t, h[1], "cookie="+cookie)
	a.waitStderr("peer join: addr="+h[1].Addr.String(), 10*time.Second)

	r := run(t, h[2], "-q", "addrs", "cookie="+cookie, "expect=2", "stable=2s")
	if got := fields(t, r); !slices.Equal(got, hostAddrs(h[0], h[1])) {
		t.Fatalf("before: found %q, want %q", got, hostAddrs(h[0], h[1]))
	}
	code, took := b.signal(syscall.SIGTERM, 3*time.Second)
	if code != 0 || took > time.Second {
		t.Fatalf("agent on SIGTERM: exit %d after %v; want 0 within 1s; stderr:\n%s", code, took, b.stderr)
	}
	if !strings.Contains(b.stderr.String(), "leave sent") {
		t.Errorf("agent log lacks the leave; stderr:\n%s", b.stderr)
	}
	// A leave, not an expiry (which would take three 5s intervals).
	a.waitStderr("peer leave: addr="+h[1].Addr.String(), 3*time.Second)
	r = run(t, h[2], "-q", "addrs", "cookie="+cookie, "stable=1s")
	if got := fields(t, r); !slices.Equal(got, hostAddrs(h[0])) {
		t.Fatalf("after: found %q, want %q", got, hostAddrs(h[0]))
	}
}

// TestAgentSignals: SIGINT (Ctrl-C) and SIGTERM stop the agent with exit 0
// within a second, whatever its log flags; -log-json logs JSON lines and
// -log-level debug logs the engine's debug lines, the flags before or
// after the command.
func TestAgentSignals(t *testing.T) {
	l := lab.New(t, 1)
	cookie := keygen(t)
	for _, c := range []struct {
		args []string
		want string // a stderr line to wait for
		sig  syscall.Signal
	}{
		{[]string{"agent", "-log-json"}, `"@message":"agent started"`, syscall.SIGINT},
		{[]string{"-log-level", "debug", "agent"}, "[DEBUG] discover-mcgossip: joined ", syscall.SIGTERM},
		{[]string{"agent", "-log-level=debug", "-log-json"}, `"@level":"debug","@message":"joined `, syscall.SIGINT},
		{[]string{"agent", "-log-level", "info"}, "[INFO]  agent started", syscall.SIGINT},
	} {
		a := start(t, l.Host(1), append(c.args, "provider=mcgossip", "cookie="+cookie)...)
		a.waitStderr(c.want, 10*time.Second)
		if c.args[len(c.args)-1] == "info" && strings.Contains(a.stderr.String(), "[DEBUG]") {
			t.Errorf("%q logged debug lines:\n%s", c.args, a.stderr)
		}
		if code, took := a.signal(c.sig, 3*time.Second); code != 0 || took > time.Second {
			t.Fatalf("%q on %v: exit %d after %v; want 0 within 1s; stderr:\n%s", c.args, c.sig, code, took, a.stderr)
		}
	}
}

// TestWatchEvents: watch with stdout not a terminal prints a line for a
// join, a leave (SIGTERM: the agent says goodbye) and an expiry (SIGKILL:
// the agent falls silent), and stops with exit 0 on SIGINT.
func TestWatchEvents(t *testing.T) {
	l := lab.New(t, 3)
	h := l.Hosts()
	cookie := keygen(t)
	group := []string{"cookie=" + cookie, "interval=500ms"} // expiry after 1.5s of silence
	w := start(t, h[2], append([]string{"watch", "-log-level", "info"}, group...)...)
	w.waitStderr("watch started", 10*time.Second)
	a := startAgent(t, h[0], append(group, "name=node-a")...)
	b := startAgent(t, h[1], append(group, `name="node b"`)...)
	for _, c := range []struct{ addr, name string }{{h[0].Addr.String(), "name=node-a"}, {h[1].Addr.String(), `name="node b"`}} {
		line := w.waitLine(10*time.Second, "a join line for "+c.addr, func(s string) bool {
			return strings.Contains(s, " join "+c.addr+" ")
		})
		if !strings.HasSuffix(line, " join "+c.addr+" "+c.name) {
			t.Errorf("join line %q: want it to end with %q", line, c.addr+" "+c.name)
		}
	}
	if code, _ := a.signal(syscall.SIGTERM, 3*time.Second); code != 0 {
		t.Fatalf("agent exit %d", code)
	}
	w.waitLine(3*time.Second, "a leave line", func(s string) bool {
		return strings.Contains(s, " leave "+h[0].Addr.String()+" name=node-a")
	})
	b.signal(syscall.SIGKILL, 3*time.Second)
	w.waitLine(5*time.Second, "an expire line", func(s string) bool {
		return strings.Contains(s, " expire "+h[1].Addr.String())
	})
	if code, _ := w.signal(syscall.SIGINT, 3*time.Second); code != 0 {
		t.Fatalf("watch on SIGINT: exit %d; stderr:\n%s", code, w.stderr)
	}
}
