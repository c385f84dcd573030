package mcgossip_test

import (
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/mcgossip/go-discover-mcgossip/provider/mcgossip"
)

// TestHelp checks the house style of go-discover's providers (title line,
// blank line, four-space-indented aligned key lines, provider first,
// defaults written as Default "x", trailing newline) and that the help
// documents every key with the defaults DefaultConfig really has.
func TestHelp(t *testing.T) {
	h := (&mcgossip.Provider{}).Help()
	if !strings.HasPrefix(h, "mcgossip:\n\n    provider:        \"mcgossip\"\n") {
		t.Errorf("help does not start with the title, a blank line and the provider line:\n%s", h)
	}
	if !strings.HasSuffix(h, "\n") || strings.HasSuffix(h, "\n\n") {
		t.Error("help must end with exactly one newline")
	}
	keyLine := regexp.MustCompile(`^    ([a-z_]+):( +)\S`)
	col := -1
	var keys []string
	for i, line := range strings.Split(strings.TrimSuffix(h, "\n"), "\n") {
		if strings.ContainsRune(line, '\t') || len(line) > 80 || strings.TrimRight(line, " ") != line {
			t.Errorf("line %d has a tab, trailing space or more than 80 columns: %q", i+1, line)
		}
		m := keyLine.FindStringSubmatchIndex(line)
		if m == nil {
			continue
		}
		keys = append(keys, line[m[2]:m[3]])
		if c := m[5]; col < 0 {
			col = c
		} else if c != col {
			t.Errorf("line %d: description starts in column %d, not %d like the others: %q", i+1, c, col, line)
		}
	}
	want := []string{"provider", "port", "multicast_addr", "family", "prefer", "broadcast_only", "if_addr", "ttl", "iface", "cookie", "cookie_file",
		"advertise", "name", "announce", "interval", "timeout", "stable", "expect", "exclude_local"}
	if strings.Join(keys, " ") != strings.Join(want, " ") {
		t.Errorf("documented keys %v, want %v", keys, want)
	}
	d := mcgossip.DefaultConfig()
	for _, s := range []string{
		`Default "` + strconv.Itoa(d.Port) + `"`,
		`Default "` + d.MulticastAddr.String() + `"`,
		`"` + d.MulticastAddr6.String() + `" for IPv6`,
		`Default: the families of multicast_addr, else "` + d.Family.String() + `"`,
		`Default "` + d.Prefer.String() + `"`,
		`ttl does not apply`,
		`Default "` + strconv.FormatBool(d.BroadcastOnly) + `"`,
		`Default "` + d.IfAddr.String() + `"`,
		`Alias "multicast_ttl".  Default "` + strconv.Itoa(d.TTL) + `"`,
		`Default "true", so a host that embeds this provider`,
		`Default "` + d.Interval.String() + `"`,
		`lookup blocks.  Default "` + d.Timeout.String() + `"`,
		`Default "` + strconv.Itoa(int(d.Stable)) + `": the answers decide`,
		`Default "` + strconv.Itoa(d.Expect) + `"`,
		"$MCGOSSIP_COOKIE",
		"older cookies",
		"defaults to \"false\"", // the CLI's addrs is an observer
		"provider=mcgossip",
		`Default "` + strconv.FormatBool(d.ExcludeLocal) + `".`,
		"Default: this host's name",
		"not a loopback address",
	} {
		if !strings.Contains(strings.Join(strings.Fields(h), " "), strings.Join(strings.Fields(s), " ")) {
			t.Errorf("help lacks %q", s)
		}
	}
}
