package cli_test

import (
	"maps"
	"strings"
	"testing"

	"github.com/mcgossip/go-discover-mcgossip/internal/cli"
)

// The differential test and fuzz target against go-discover's own Parse
// are in test/clitest (this module does not require go-discover).

func TestParseArgsExamples(t *testing.T) {
	t.Parallel()
	cases := []struct {
		in   string
		want map[string]string
		err  string
	}{
		{in: "", want: nil},
		{in: "provider=mcgossip port=7946", want: map[string]string{"provider": "mcgossip", "port": "7946"}},
		{in: `cookie="a b" name=x`, want: map[string]string{"cookie": "a b", "name": "x"}},
		{in: `cookie=""`, want: map[string]string{"cookie": ""}},
		{in: "key", err: "key: missing '='"},
		{in: "key=", err: "key: missing value"},
		{in: `key="a`, err: "key: unbalanced quotes"},
		{in: `key="\`, err: "key: unterminated escape sequence"},
		{in: "key=a key=b", err: "key: duplicate key"},
		{in: "k=a=b", err: `k: - equals in key's value, enclosing double-quote needed k="value-with-=-symbol"`},
		{in: "timeout=2s\tv6=true", err: `timeout: - equals in key's value, enclosing double-quote needed timeout="value-with-=-symbol"`},
		{in: "a cookie=x", err: "a: missing '='"}, // before the cookie: shown
		{in: `cookie="x`, err: "cookie: unbalanced quotes"},
	}
	for _, c := range cases {
		got, err := cli.ParseArgs(c.in)
		if c.err != "" {
			if err == nil || err.Error() != c.err {
				t.Errorf("ParseArgs(%q) error = %v, want %q", c.in, err, c.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("ParseArgs(%q) error = %v", c.in, err)
			continue
		}
		if !maps.Equal(got, c.want) || (got == nil) != (c.want == nil) {
			t.Errorf("ParseArgs(%q) = %#v, want %#v", c.in, got, c.want)
		}
	}
}

// TestParseArgsHidesCookie: a key after a secret's key (cookie,
// erlang_cookie, secret) may be a word of an unquoted secret with spaces;
// errors show it as <hidden>, with a hint.
func TestParseArgsHidesCookie(t *testing.T) {
	t.Parallel()
	const hint = ` (<hidden>: a key after a secret such as cookie=, not shown since it may be part of the secret; double-quote a secret that has spaces or "=")`
	cases := []struct{ in, err string }{
		{"cookie=horse battery staple", "<hidden>: missing '='"},
		{"provider=mcgossip cookie=horse battery", "<hidden>: missing '='"},
		{"cookie=horse battery=correct staple", "<hidden>: missing '='"},
		{"cookie=horse battery=1 battery=2", "<hidden>: duplicate key"},
		{"cookie=horse battery=staple=x", `<hidden>: - equals in key's value, enclosing double-quote needed <hidden>="value-with-=-symbol"`},
		{"cookie=horse battery=", "<hidden>: missing value"},
		{`cookie=horse battery="staple`, "<hidden>: unbalanced quotes"},
		{"provider=libcluster erlang_cookie=horse battery", "<hidden>: missing '='"},
		{"provider=libcluster secret=horse battery staple", "<hidden>: missing '='"},
	}
	for _, c := range cases {
		_, err := cli.ParseArgs(c.in)
		if err == nil || err.Error() != c.err+hint {
			t.Errorf("ParseArgs(%q) error = %v, want %q", c.in, err, c.err+hint)
			continue
		}
		for _, w := range []string{"battery", "staple", "correct"} {
			if strings.Contains(err.Error(), w) {
				t.Errorf("ParseArgs(%q) error %q shows %q, a word of the cookie", c.in, err, w)
			}
		}
	}
}
