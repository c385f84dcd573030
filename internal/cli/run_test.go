package cli_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"strings"
	"testing"

	"github.com/mcgossip/go-discover-mcgossip/internal/cli"
	"github.com/mcgossip/go-discover-mcgossip/internal/version"
)

// run runs the command line in-process. Only commands that open no socket
// are run here (help, version, keygen, usage and config errors); the ones
// that do are tested against the binary in test/clitest.
func run(args ...string) (code int, stdout, stderr string) {
	var out, errb bytes.Buffer
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	code = cli.RunContext(ctx, args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestRunHelpVersionKeygen(t *testing.T) {
	for _, args := range [][]string{nil, {"help"}, {"-h"}, {"-help"}, {"help", "addrs"}, {"agent", "-h"}, {"-q", "addrs", "-h"}} {
		code, out, errs := run(args...)
		if code != cli.ExitOK || errs != "" || !strings.HasPrefix(out, "Usage: go-discover-mcgossip") || !strings.Contains(out, `provider:        "mcgossip"`) {
			t.Errorf("%q: exit %d, stdout %.40q, stderr %q", args, code, out, errs)
		}
	}
	code, out, errs := run("version")
	if code != cli.ExitOK || errs != "" || !strings.HasPrefix(out, "go-discover-mcgossip "+version.String()+" (") {
		t.Errorf("version: exit %d, stdout %q, stderr %q", code, out, errs)
	}
	code, out, errs = run("keygen")
	k := strings.TrimSuffix(out, "\n")
	if raw, err := base64.RawURLEncoding.DecodeString(k); code != cli.ExitOK || errs != "" || len(k) != 43 || err != nil || len(raw) != 32 {
		t.Errorf("keygen: exit %d, stdout %q, stderr %q", code, out, errs)
	}
}

func TestRunUsageErrors(t *testing.T) {
	cases := []struct {
		args []string
		msg  string
	}{
		{[]string{"nope"}, `go-discover-mcgossip: unknown command "nope"`},
		{[]string{"-z"}, "go-discover-mcgossip: flag provided but not defined: -z"},
		{[]string{"addrs", "-z"}, "go-discover-mcgossip: flag provided but not defined: -z"},
		{[]string{"-log-level"}, "go-discover-mcgossip: flag needs an argument: -log-level"},
		{[]string{"-log-level=chatty", "agent"}, `go-discover-mcgossip: invalid -log-level "chatty": must be trace, debug, info, warn, error or off`},
		{[]string{"-log-level=debug", "keygen"}, "go-discover-mcgossip: flag -log-level does not apply to keygen"},
		{[]string{"version", "-log-json"}, "go-discover-mcgossip: flag -log-json does not apply to version"},
		{[]string{"keygen", "cookie=SECRET"}, "go-discover-mcgossip: keygen takes no arguments, got 1 (not shown)"},
		{[]string{"cookie=SECRET", "addrs"}, `go-discover-mcgossip: missing command before "cookie=<hidden>": key=value arguments come after the command`},
	}
	for _, c := range cases {
		code, out, errs := run(c.args...)
		first, rest, _ := strings.Cut(errs, "\n")
		if code != cli.ExitUsage || out != "" || first != c.msg || !strings.Contains(rest, "Usage: go-discover-mcgossip") {
			t.Errorf("%q: exit %d, stdout %q, stderr first line %q; want exit 2 and %q then the usage", c.args, code, out, first, c.msg)
		}
	}
}

// TestRunConfigErrors: config errors come before any socket is opened.
func TestRunConfigErrors(t *testing.T) {
	cases := []struct {
		args []string
		msg  string
	}{
		{[]string{"addrs", `cookie="x`}, "discover-mcgossip: cookie: unbalanced quotes"},
		{[]string{"addrs", "port="}, "discover-mcgossip: port: missing value"},
		{[]string{"addrs", "port=", "x=1"}, "discover-mcgossip: port: - equals in key's value"},
		{[]string{"-q", "addrs", "port=99999"}, `discover-mcgossip: invalid port "99999": must be an integer from 1 to 65535`},
		{[]string{"watch", "multicast_addr=192.0.2.1"}, `discover-mcgossip: invalid multicast_addr "192.0.2.1"`},
		{[]string{"agent", "provider=mcgossip", "colour=red"}, `discover-mcgossip: unknown key "colour"`},
		{[]string{"agent", "announce=false"}, `discover-mcgossip: invalid announce "false"`},
		// A cookie with spaces, not quoted: no word of it is shown.
		{[]string{"addrs", "cookie=horse", "battery", "staple"}, "discover-mcgossip: <hidden>: missing '='"},
		{[]string{"addrs", "cookie=horse", "battery=staple"}, "discover-mcgossip: an unknown key, not shown"},
	}
	for _, c := range cases {
		code, out, errs := run(c.args...)
		if code != cli.ExitError || out != "" || !strings.HasPrefix(errs, c.msg) || strings.Count(errs, "\n") != 1 {
			t.Errorf("%q: exit %d, stdout %q, stderr %q; want exit 1 and one line starting %q", c.args, code, out, errs, c.msg)
		}
		if strings.Contains(errs, "battery") || strings.Contains(errs, "staple") {
			t.Errorf("%q: stderr %q shows a word of the cookie", c.args, errs)
		}
	}
}

// TestRunLongError: an error message is cut to fit go-netaddrs' 1024 bytes
// of stderr, on one line.
func TestRunLongError(t *testing.T) {
	key := strings.Repeat("k", 3000)
	code, out, errs := run("-q", "addrs", key+"=1")
	if code != cli.ExitError || out != "" || len(errs) > 1024 || strings.Count(errs, "\n") != 1 ||
		!strings.HasPrefix(errs, `discover-mcgossip: unknown key "kkk`) || !strings.HasSuffix(errs, "...\n") {
		t.Errorf("exit %d, stdout %q, stderr %d bytes %.60q...; want exit 1 and one line of at most 1024 bytes", code, out, len(errs), errs)
	}
}

func TestNewCookie(t *testing.T) {
	seen := map[string]bool{}
	for range 100 {
		k := cli.NewCookie()
		args, err := cli.ParseArgs("cookie=" + k)
		if len(k) != 43 || strings.Trim(k, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") != "" || err != nil || args["cookie"] != k || seen[k] {
			t.Fatalf("NewCookie() = %q: parses to %q, %v", k, args["cookie"], err)
		}
		seen[k] = true
	}
}
