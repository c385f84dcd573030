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
	for _, args := range [][]string{nil, {"help"}, {"-h"}, {"-help"}, {"--help"}, {"-q", "help"}} {
		code, out, errs := run(args...)
		if code != cli.ExitOK || errs != "" || !strings.HasPrefix(out, "Usage: go-discover-mcgossip [flags] <command>") || !strings.Contains(out, `provider:        "mcgossip"`) {
			t.Errorf("%q: exit %d, stdout %.40q, stderr %q", args, code, out, errs)
		}
	}
	want := "go-discover-mcgossip " + version.String() + " ("
	for _, args := range [][]string{{"version"}, {"-v"}, {"-version"}, {"--version"}, {"-v", "agent"}, {"-q", "--version"}} {
		code, out, errs := run(args...)
		if code != cli.ExitOK || errs != "" || !strings.HasPrefix(out, want) || strings.Count(out, "\n") != 1 {
			t.Errorf("%q: exit %d, stdout %q, stderr %q; want one line starting %q", args, code, out, errs, want)
		}
	}
	code, out, errs := run("keygen")
	k := strings.TrimSuffix(out, "\n")
	if raw, err := base64.RawURLEncoding.DecodeString(k); code != cli.ExitOK || errs != "" || len(k) != 43 || err != nil || len(raw) != 32 {
		t.Errorf("keygen: exit %d, stdout %q, stderr %q", code, out, errs)
	}
}

// commands are the command names, as the usage lists them.
var commands = []string{"addrs", "agent", "watch", "keygen", "help", "version"}

// TestRunCommandHelp: `<command> -h` (flags anywhere) and `help <command>`
// print that command's help, the same text, and not the whole usage.
func TestRunCommandHelp(t *testing.T) {
	for _, cmd := range commands {
		_, want, _ := run("help", cmd)
		if !strings.HasPrefix(want, "Usage: go-discover-mcgossip "+cmd) || strings.Contains(want, "Commands:") {
			t.Errorf("help %s: %q; want the command's own usage", cmd, want)
		}
		for _, args := range [][]string{{cmd, "-h"}, {cmd, "--help"}, {"-q", cmd, "-h"}, {cmd, "-h", "x=1"}} {
			code, out, errs := run(args...)
			if code != cli.ExitOK || errs != "" || out != want {
				t.Errorf("%q: exit %d, stdout %.60q, stderr %q; want exit 0 and the text of help %s", args, code, out, errs, cmd)
			}
		}
	}
	_, out, _ := run("addrs", "-h")
	for _, sub := range []string{"-json", "-log-level", "expect", "run 'go-discover-mcgossip help' for every key"} {
		if !strings.Contains(out, sub) {
			t.Errorf("addrs -h lacks %q:\n%s", sub, out)
		}
	}
	_, out, _ = run("agent", "-h")
	for _, sub := range []string{"-metrics-addr", "SIGUSR1", "SIGHUP"} {
		if !strings.Contains(out, sub) {
			t.Errorf("agent -h lacks %q:\n%s", sub, out)
		}
	}
}

// TestRunUsageErrors: a usage error is exit 2, nothing on stdout, and two
// lines on stderr: the error, then where the usage is (the command's help
// once the command is known).
func TestRunUsageErrors(t *testing.T) {
	cases := []struct {
		args []string
		msg  string
		help string // the help the hint names
	}{
		{[]string{"nope"}, `unknown command "nope"`, "help"},
		{[]string{"-z"}, "flag provided but not defined: -z", "help"},
		{[]string{"addrs", "-z"}, "flag provided but not defined: -z", "help addrs"},
		{[]string{"-log-level"}, "flag needs an argument: -log-level", "help"},
		{[]string{"-log-level=chatty", "agent"}, `invalid -log-level "chatty": must be trace, debug, info, warn, error or off`, "help agent"},
		{[]string{"-log-level=debug", "keygen"}, "flag -log-level does not apply to keygen", "help keygen"},
		{[]string{"version", "-log-json"}, "flag -log-json does not apply to version", "help version"},
		{[]string{"keygen", "16"}, "keygen takes no arguments, got 1 (not shown)", "help keygen"},
		{[]string{"keygen", "cookie=SECRET"}, "keygen takes no arguments, got 1 (not shown)", "help keygen"},
		{[]string{"cookie=SECRET", "addrs"}, `missing command before "cookie=<hidden>": key=value arguments come after the command`, "help"},
		{[]string{"agent", "-json"}, "flag -json does not apply to agent", "help agent"},
		{[]string{"addrs", "-metrics-addr", "127.0.0.1:9102"}, "flag -metrics-addr does not apply to addrs", "help addrs"},
		{[]string{"agent", "-metrics-addr", "9102"}, `invalid -metrics-addr "9102": must be host:port`, "help agent"},
		{[]string{"agent", "-metrics-addr=localhost:http"}, `invalid -metrics-addr "localhost:http"`, "help agent"},
		{[]string{"agent", "-v"}, "flag provided but not defined: -v", "help agent"},
		{[]string{"help", "nope"}, `unknown command "nope"`, "help"},
		{[]string{"help", "addrs", "agent"}, "help takes one command at most, got 2 (not shown)", "help"},
	}
	for _, c := range cases {
		code, out, errs := run(c.args...)
		want := "go-discover-mcgossip: " + c.msg
		hint := "run 'go-discover-mcgossip " + c.help + "' for usage\n"
		first, rest, _ := strings.Cut(errs, "\n")
		if code != cli.ExitUsage || out != "" || !strings.HasPrefix(first, want) || rest != hint {
			t.Errorf("%q: exit %d, stdout %q, stderr %q; want exit 2, a line starting %q, then %q", c.args, code, out, errs, want, hint)
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
