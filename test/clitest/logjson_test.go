package clitest

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/mcgossip/go-discover-mcgossip/internal/lab"
)

// decodeLine decodes one hclog JSON line.
func decodeLine(t *testing.T, line string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(line), &m); err != nil {
		t.Fatalf("not a JSON line: %q: %v", line, err)
	}
	return m
}

// TestLogJSONFields: under -log-json the engine's lines carry @module and
// their fields. An agent's line of a peer joining (debug) names the
// peer's address, id and name; addrs with another cookie logs its short
// lookup with the reason's counts and senders, and the engine's line of
// the dropped datagrams their reason and source.
func TestLogJSONFields(t *testing.T) {
	l := lab.New(t, 3)
	h := l.Hosts()
	cookie, other := keygen(t), keygen(t)
	a := start(t, h[0], "agent", "-log-json", "-log-level", "debug", "cookie="+cookie, "interval=500ms")
	startAgent(t, h[1], "cookie="+cookie, "interval=500ms", "name=node-b")
	m := decodeLine(t, a.waitStderr(" joined: "+h[1].Addr.String()+` named \"node-b\"`, 10*time.Second))
	if m["@module"] != "discover-mcgossip" || m["@level"] != "debug" || m["peer.addr"] != h[1].Addr.String() || m["peer.name"] != "node-b" ||
		!regexp.MustCompile(`^[0-9a-f]{32}$`).MatchString(m["peer.id"].(string)) || !strings.HasPrefix(m["@message"].(string), "peer "+m["peer.id"].(string)[:8]+" joined: ") {
		t.Errorf("join line %v: want @module discover-mcgossip and the peer's addr, name and id", m)
	}

	r := run(t, h[2], "addrs", "-log-json", "-log-level", "debug", "cookie="+other, "timeout=1s")
	var short, drop map[string]any
	for _, line := range strings.Split(strings.TrimSpace(r.stderr), "\n") {
		m := decodeLine(t, line)
		msg, _ := m["@message"].(string)
		switch {
		case strings.HasPrefix(msg, "no peers found: "):
			short = m
		case strings.HasPrefix(msg, "dropped a datagram from "):
			drop = m
		}
	}
	from, _ := short["other_cookie_from"].(string)
	if r.code != 0 || short == nil || short["@level"] != "warn" || short["other_cookie"] == nil || short["datagrams"] == nil ||
		!strings.Contains(from, h[0].Addr.String()) || !strings.Contains(from, h[1].Addr.String()) || short["group"] == nil {
		t.Errorf("short lookup line %v: want a warning with other_cookie, other_cookie_from naming %s and %s, datagrams, group; stderr:\n%s",
			short, h[0].Addr, h[1].Addr, r.stderr)
	}
	src, _ := drop["src"].(string)
	if drop == nil || drop["@module"] != "discover-mcgossip" || drop["reason"] != "unknown_key" ||
		!(strings.HasPrefix(src, h[0].Addr.String()+":") || strings.HasPrefix(src, h[1].Addr.String()+":")) {
		t.Errorf("drop line %v: want @module, reason unknown_key and a source of the other cookie's hosts; stderr:\n%s", drop, r.stderr)
	}
}
