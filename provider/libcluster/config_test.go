package libcluster

import (
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestParseConfigDefaults: no key gives DefaultConfig, and every key is
// read.
func TestParseConfigDefaults(t *testing.T) {
	c, err := ParseConfig(map[string]string{"provider": "libcluster"})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := c.String(), "provider=libcluster"; got != want {
		t.Errorf("defaults: %q, want %q", got, want)
	}
	if c.MulticastAddr != netip.MustParseAddr("233.252.1.32") || c.Port != 45892 || c.Timeout != 6*time.Second ||
		c.EpmdPort != 4369 || c.Cookie != nil || c.Secret != "" || c.DistPort || c.Expect != 0 {
		t.Errorf("defaults: %+v", c)
	}
	args := map[string]string{
		"provider": "libcluster", "port": "45000", "multicast_addr": "230.1.1.251", "if_addr": "127.0.0.1",
		"iface": "lo", "secret": "s3cret", "erlang_cookie": "monster", "epmd_port": "4370", "dist_port": "true",
		"timeout": "2s", "expect": "3",
	}
	c, err = ParseConfig(args)
	if err != nil {
		t.Fatal(err)
	}
	want := "provider=libcluster port=45000 multicast_addr=230.1.1.251 if_addr=127.0.0.1 iface=lo secret=<hidden> " +
		"erlang_cookie=<hidden> epmd_port=4370 dist_port=true timeout=2s expect=3"
	if got := c.String(); got != want {
		t.Errorf("String() = %q\nwant %q", got, want)
	}
	if c.Secret != "s3cret" || string(c.Cookie) != "monster" {
		t.Errorf("secret %q, cookie %q", c.Secret, c.Cookie)
	}
}

// TestParseConfigErrors: every bad value names its key and what is
// accepted, never a secret; unknown keys get a suggestion.
func TestParseConfigErrors(t *testing.T) {
	cases := []struct {
		args map[string]string
		want string
	}{
		{map[string]string{"provider": "mcgossip"}, `invalid provider "mcgossip": must be "libcluster"`},
		{map[string]string{"port": "0"}, `invalid port "0": must be an integer from 1 to 65535`},
		{map[string]string{"epmd_port": "x"}, `invalid epmd_port "x"`},
		{map[string]string{"multicast_addr": "10.0.0.1"}, `invalid multicast_addr "10.0.0.1": must be an IPv4 multicast address`},
		{map[string]string{"if_addr": "230.1.1.1"}, `invalid if_addr "230.1.1.1"`},
		{map[string]string{"iface": "eth0,,eth1"}, `invalid iface "eth0,,eth1": must be a comma-separated list`},
		{map[string]string{"dist_port": "yes"}, `invalid dist_port "yes": must be "true" or "false"`},
		{map[string]string{"timeout": "5"}, `invalid timeout "5": must be a duration`},
		{map[string]string{"expect": "-1"}, `invalid expect "-1"`},
		{map[string]string{"secret": ""}, `invalid secret (value not shown): must not be empty`},
		{map[string]string{"secret": "a", "secret_file": "f"}, `secret and secret_file are both set`},
		{map[string]string{"erlang_cookie": "c", "erlang_cookie_file": "f"}, `erlang_cookie and erlang_cookie_file are both set`},
		{map[string]string{"erlang_cookie": "tab\there"}, `invalid erlang_cookie (value not shown): must be printable ASCII`},
		{map[string]string{"erlang_cookie": strings.Repeat("c", 256)}, `an Erlang cookie has at most 255 characters`},
		{map[string]string{"erlang_cookie_file": "/nonexistent/cookie"}, `invalid erlang_cookie_file "/nonexistent/cookie": must be a readable file`},
		{map[string]string{"multicast_ttl": "hidden-value"}, `key "multicast_ttl" is not accepted by provider=libcluster: this provider only listens and sends nothing, so it has no TTL`},
		{map[string]string{"cookie": "hidden-value"}, `key "cookie" is not accepted by provider=libcluster: the Erlang cookie is erlang_cookie`},
		{map[string]string{"multicast_if": "10.0.0.1"}, `give the address of the interface to listen on as if_addr`},
		{map[string]string{"erlang_cokie": "hidden-value"}, `unknown key "erlang_cokie" (did you mean "erlang_cookie"?): accepted keys are dist_port, epmd_port, erlang_cookie,`},
		{map[string]string{"timout": "1s", "prot": "1"}, `unknown keys "prot" (did you mean "port"?), "timout" (did you mean "timeout"?)`},
		// An unquoted cookie or secret with a space leaves its words as keys: counted, not named.
		{map[string]string{"erlang_cookie": "horse", "battery": "", "staple": ""}, `2 unknown keys, not shown because it may be part of the erlang_cookie`},
		{map[string]string{"secret": "horse", "battery": ""}, `an unknown key, not shown because it may be part of the secret`},
	}
	for _, tc := range cases {
		_, err := ParseConfig(tc.args)
		if err == nil {
			t.Errorf("%v: no error", tc.args)
			continue
		}
		var ce *ConfigError
		if !errors.As(err, &ce) || !strings.HasPrefix(err.Error(), "discover-libcluster: ") || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v:\n got %v\nwant ...%s...", tc.args, err, tc.want)
		}
		if strings.Contains(err.Error(), "hidden-value") || strings.Contains(err.Error(), "tab\there") || strings.Contains(err.Error(), "battery") {
			t.Errorf("%v: the error shows a secret: %v", tc.args, err)
		}
	}
}

// TestReadErlangCookie reads cookie files as OTP 25 does; each case was
// checked against `erl -name` with that $HOME/.erlang.cookie.
func TestReadErlangCookie(t *testing.T) {
	cases := []struct {
		content string
		want    string // "" for an error
	}{
		{"abc", "abc"},
		{"abc\n", "abc"},
		{"  abc  \n", "  abc  "},
		{"abc\n\n  \r\n", "abc"},
		{"abc \n  ", "abc "},
		{"abc\nxyz", ""},    // Bad characters in cookie
		{"a b\tc", ""},      // Bad characters in cookie
		{"abc\t", ""},       // Bad characters in cookie
		{"\n", ""},          // Too short cookie string
		{"", ""},            // Too short cookie string
		{"caf\xc3\xa9", ""}, // not ASCII
	}
	dir := t.TempDir()
	for i, tc := range cases {
		path := filepath.Join(dir, "cookie"+string(rune('a'+i)))
		if err := os.WriteFile(path, []byte(tc.content), 0o600); err != nil {
			t.Fatal(err)
		}
		got, err := ReadErlangCookie(path)
		switch {
		case tc.want == "" && err == nil:
			t.Errorf("%q: cookie %q, want an error", tc.content, got)
		case tc.want != "" && (err != nil || string(got) != tc.want):
			t.Errorf("%q: %q, %v; want %q", tc.content, got, err, tc.want)
		case err != nil && strings.TrimSpace(tc.content) != "" && strings.Contains(err.Error(), strings.TrimSpace(tc.content)):
			t.Errorf("%q: the error shows the cookie: %v", tc.content, err)
		}
	}
	open := filepath.Join(dir, "open")
	if err := os.WriteFile(open, []byte("abc"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadErlangCookie(open); err == nil || !strings.Contains(err.Error(), "accessible by its owner only") {
		t.Errorf("a cookie file readable by others: %v", err)
	}
}

// TestDefaultCookieFile: erlang_cookie_file=default is $HOME/.erlang.cookie,
// or, when that does not exist, $XDG_CONFIG_HOME/erlang/.erlang.cookie, as
// Erlang looks them up.
func TestDefaultCookieFile(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("XDG_CONFIG_HOME", "")
	args := map[string]string{"erlang_cookie_file": "default"}
	if _, err := ParseConfig(args); err == nil || !strings.Contains(err.Error(), filepath.Join(home, ".erlang.cookie")) {
		t.Errorf("no cookie file: %v", err)
	}
	xdg := filepath.Join(home, ".config", "erlang", ".erlang.cookie")
	if err := os.MkdirAll(filepath.Dir(xdg), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(xdg, []byte("xdgcookie\n"), 0o400); err != nil {
		t.Fatal(err)
	}
	c, err := ParseConfig(args)
	if err != nil || string(c.Cookie) != "xdgcookie" || c.CookieFile != xdg {
		t.Fatalf("XDG cookie: %+v, %v", c, err)
	}
	if err := os.WriteFile(filepath.Join(home, ".erlang.cookie"), []byte("homecookie"), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err = ParseConfig(args)
	if err != nil || string(c.Cookie) != "homecookie" {
		t.Fatalf("HOME cookie: %+v, %v", c, err)
	}
	if got := c.String(); !strings.Contains(got, "erlang_cookie_file="+filepath.Join(home, ".erlang.cookie")) || strings.Contains(got, "homecookie") {
		t.Errorf("String() = %q", got)
	}
}

// TestSecretFile: a secret file's content, trimmed, on one line.
func TestSecretFile(t *testing.T) {
	dir := t.TempDir()
	for content, want := range map[string]string{"s3cret\n": "s3cret", "  s3 cret \r\n": "s3 cret", "": "", "a\nb": ""} {
		path := filepath.Join(dir, "secret")
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		c, err := ParseConfig(map[string]string{"secret_file": path})
		switch {
		case want == "" && err == nil:
			t.Errorf("%q: no error", content)
		case want != "" && (err != nil || c.Secret != want):
			t.Errorf("%q: %+v, %v", content, c, err)
		case err != nil && content != "" && strings.Contains(err.Error(), "a\nb"):
			t.Errorf("the error shows the secret: %v", err)
		}
	}
}

// TestHelp: the Help text documents every key, in go-discover's house
// style, within 80 columns.
func TestHelp(t *testing.T) {
	h := (&Provider{}).Help()
	if !strings.HasPrefix(h, "libcluster:\n\n") {
		t.Errorf("Help starts %q", h[:20])
	}
	for _, k := range configKeys {
		if !strings.Contains(h, "\n    "+k+":") {
			t.Errorf("Help does not document %s", k)
		}
	}
	for _, l := range strings.Split(h, "\n") {
		if len(l) > 80 {
			t.Errorf("line longer than 80 columns: %q", l)
		}
	}
}

// TestValidate: NewEngine refuses what ParseConfig refuses, naming the
// key.
func TestValidate(t *testing.T) {
	for _, tc := range []struct {
		set  func(*Config)
		want string
	}{
		{func(c *Config) { c.Port = 0 }, "invalid port"},
		{func(c *Config) { c.MulticastAddr = netip.MustParseAddr("10.0.0.1") }, "invalid multicast_addr"},
		{func(c *Config) { c.Cookie = []byte{} }, "invalid erlang_cookie (value not shown): must not be empty"},
		{func(c *Config) { c.Expire = 0 }, "invalid expire"},
		{func(c *Config) { c.Interfaces = []string{"a/b"} }, "invalid iface"},
	} {
		c := DefaultConfig()
		tc.set(c)
		var ce *ConfigError
		if _, err := NewEngine(c, nil); !errors.As(err, &ce) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v, want ...%s...", err, tc.want)
		}
	}
}
