package cli_test

import (
	"maps"
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
