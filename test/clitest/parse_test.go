package clitest

import (
	"maps"
	"regexp"
	"strconv"
	"strings"
	"testing"

	discover "github.com/hashicorp/go-discover"

	"github.com/mcgossip/go-discover-mcgossip/internal/cli"
)

// parseCases are config strings fed both to cli.ParseArgs and to
// go-discover's Parse; they also seed the fuzz corpus.
var parseCases = []string{
	"",
	" ",
	"   \t\n ",
	"provider=mcgossip",
	"provider=mcgossip port=7946 cookie=abc",
	"  provider=mcgossip   port=7946  ",
	"key",
	"provider=aws foo",
	"key=",
	"key= ",
	"key= b",
	"key =b",
	"key = b",
	`key="a`,
	`key="\`,
	`key="a\`,
	`key="a\"`,
	"key=a key=b",
	"k=a=b",
	"k=YWJj=",
	`k="YWJj="`,
	"=",
	"==",
	"=a",
	"a==b",
	`key=""`,
	`""=""`,
	`""=x`,
	`"a b"="c d"`,
	`tag_value="a b" provider=aws`,
	`key="a"b=c`,
	`key="a"=c`,
	`key="\q"`,
	`"\q"=x`,
	`a=b "\q"`,
	`key="a\tb\n\u00e9"`,
	"key=\"a\nb\"",
	"timeout=2s\tv6=true",
	"a=b \t c=d",
	"a=b\t",
	"\ta=b",
	"a\t=b",
	"cookie=a%20b",
	"group=[ff02::1]:7946",
	"multicast_addr=ff02::1234 if_addr=fe80::1%eth0",
	"key='a b'",
	`key=a"b`,
	`key=a"b c"`,
	"key=\xff\xfe",
	"\xff=\x80",
	`key="\xff"`,
	"key=\u00a0v\u00a0",
	"\u00a0key=v",
	"a=1 b=2 c=3 a=4",
	"a=1 b",
	"a=1 =",
	"a=1 = b",
	`a="x" "y"`,
	`"`,
	`""`,
	`"\`,
	`a=""""`,
	`a="" b=""`,
	"p=mcgossip cookie=T6w4bZB1xG8fJ2n-Q_4uV0yKp3sLm9aEi7rDcHtWkOo",
	"cookie=horse battery staple",
	"cookie=horse battery=staple x",
	"cookie=a b=1 b=2",
	"cookie=a b=c=d",
	`cookie=a b="c`,
	"a cookie=b c",
	"cookie cookie=x",
}

func TestParseArgsMatchesGoDiscover(t *testing.T) {
	t.Parallel()
	for _, in := range parseCases {
		checkSameAsDiscover(t, in)
	}
}

func FuzzParseArgsMatchesGoDiscover(f *testing.F) {
	for _, in := range parseCases {
		f.Add(in)
	}
	f.Fuzz(func(t *testing.T, in string) {
		checkSameAsDiscover(t, in)
	})
}

// checkSameAsDiscover fails t unless cli.ParseArgs and discover.Parse give
// the same map (nil-ness included) and the same error text for in, but
// for the keys after a cookie key that ParseArgs hides (see sameError).
func checkSameAsDiscover(t *testing.T, in string) {
	t.Helper()
	want, wantErr := discover.Parse(in)
	got, gotErr := cli.ParseArgs(in)
	switch {
	case (wantErr == nil) != (gotErr == nil):
		t.Errorf("ParseArgs(%q): error %v, go-discover's Parse: %v", in, gotErr, wantErr)
	case wantErr != nil:
		if why := sameError(in, gotErr.Error(), wantErr.Error()); why != "" {
			t.Errorf("ParseArgs(%q): error %q, go-discover's Parse: %q: %s", in, gotErr, wantErr, why)
		}
		if got != nil {
			t.Errorf("ParseArgs(%q): map %#v along with error %v", in, got, gotErr)
		}
	default:
		if (got == nil) != (want == nil) || !maps.Equal(got, map[string]string(want)) {
			t.Errorf("ParseArgs(%q) = %#v, go-discover's Parse: %#v", in, got, want)
		}
	}
}

// hiddenHint ends an error of ParseArgs that hides a key.
const hiddenHint = ` (<hidden>: a key after a secret such as cookie=, not shown since it may be part of the secret; double-quote a secret that has spaces or "=")`

// sameError says how got (ParseArgs's error) differs from want
// (go-discover's), or "" when they are the same modulo redaction: got may
// show one key as <hidden> (every time it names it) and end with the hint,
// where want names a key that comes after a cookie key in the input.
func sameError(in, got, want string) string {
	if !strings.Contains(got, "<hidden>") {
		if got != want {
			return "the texts differ"
		}
		return ""
	}
	body, ok := strings.CutSuffix(got, hiddenHint)
	if !ok {
		return "a hidden key without the hint"
	}
	parts := strings.Split(body, "<hidden>")
	for i := range parts {
		parts[i] = regexp.QuoteMeta(parts[i])
	}
	m := regexp.MustCompile("^" + strings.Join(parts, "(.*)") + "$").FindStringSubmatch(want)
	if m == nil {
		return "they differ outside the hidden key"
	}
	for _, k := range m[2:] {
		if k != m[1] {
			return "the hidden places hold different keys"
		}
	}
	c := strings.Index(in, "cookie")
	if c < 0 || !strings.Contains(in[c+len("cookie"):], m[1]) {
		return "the hidden key " + strconv.Quote(m[1]) + " does not come after a cookie key"
	}
	return ""
}
