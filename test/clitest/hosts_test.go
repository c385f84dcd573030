package clitest

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mcgossip/go-discover-mcgossip/internal/lab"
)

// Tests of what real hosts need (issue 11): a lookup never returns its
// own host, a lookup that ends short says why, the warnings of risky
// settings.

// TestAddrsExcludeLocal: with an agent beside the looker, as beside each
// Nomad server, addrs lists the other hosts only: a lone first server
// finds nothing (not itself), expect counts the others, and the short
// lookup's line and -json say what was left out; exclude_local=false lists
// this host too.
func TestAddrsExcludeLocal(t *testing.T) {
	l := lab.New(t, 2)
	h := l.Hosts()
	cookie := keygen(t)
	startAgent(t, h[0], "cookie="+cookie, "interval=500ms")
	// The agent is up: it answers, but it is this host.
	r := run(t, h[0], "addrs", "cookie="+cookie, "timeout=1s")
	if r.code != 0 || r.stdout != "\n" {
		t.Fatalf("lone host: exit %d, stdout %q; want an empty line (not itself); stderr:\n%s", r.code, r.stdout, r.stderr)
	}
	want := "left out 1 peer at this host's own addresses (" + h[0].Addr.String() + "): exclude_local=false lists them"
	if !strings.Contains(r.stderr, "[INFO]  no peers found: ") || !strings.Contains(r.stderr, want) {
		t.Errorf("lone host: stderr lacks an INFO line saying %q:\n%s", want, r.stderr)
	}

	startAgent(t, h[1], "cookie="+cookie, "interval=500ms")
	r = run(t, h[0], "-q", "addrs", "cookie="+cookie, "expect=1", "stable=500ms")
	if got := fields(t, r); r.code != 0 || !slices.Equal(got, hostAddrs(h[1])) {
		t.Errorf("expect=1: exit %d, found %q; want the other host %q", r.code, got, hostAddrs(h[1]))
	}
	r = run(t, h[0], "addrs", "-json", "cookie="+cookie, "expect=2", "timeout=1s")
	doc := decodeAddrsJSON(t, r)
	if !slices.Equal(doc.Addrs, hostAddrs(h[1])) || !slices.Equal(doc.Heard.LeftOut, hostAddrs(h[0])) || !strings.Contains(doc.Heard.Summary, want) {
		t.Errorf("expect=2 -json: addrs %q, left_out %q, summary %q; want %q, %q left out", doc.Addrs, doc.Heard.LeftOut, doc.Heard.Summary, hostAddrs(h[1]), hostAddrs(h[0]))
	}
	if !strings.Contains(r.stderr, "[INFO]  found 1 of the 2 expected peers: ") || !strings.Contains(r.stderr, want) {
		t.Errorf("expect=2: stderr lacks the INFO line of the short lookup:\n%s", r.stderr)
	}
	r = run(t, h[0], "-q", "addrs", "cookie="+cookie, "expect=2", "exclude_local=false")
	if got := fields(t, r); !slices.Equal(got, hostAddrs(h[0], h[1])) {
		t.Errorf("exclude_local=false: found %q, want %q", got, hostAddrs(h[0], h[1]))
	}
}

// TestWhyNothingFound: beside two agents of another cookie, a lookup finds
// nothing and says why, at WARN: datagrams sealed with another cookie, and
// from which hosts; so do addrs -json, the agent's first lookup and watch
// (a -json "heard" object after its first lookup and when it stops).
// Alone, it heard nothing though its own multicast came back, at INFO,
// with the snooping hint. No line
// holds a cookie.
func TestWhyNothingFound(t *testing.T) {
	l := lab.New(t, 4)
	h := l.Hosts()
	theirs, mine := keygen(t), keygen(t)
	r := run(t, h[3], "addrs", "cookie="+mine, "timeout=300ms")
	if r.code != 0 || r.stdout != "\n" || !strings.Contains(r.stderr, "[INFO]  no peers found: heard nothing from any other host, though this engine's own multicast comes back") ||
		!strings.Contains(r.stderr, "broadcast_only=true") {
		t.Errorf("alone: exit %d, stdout %q; want an INFO line saying nothing was heard, with the snooping hint; stderr:\n%s", r.code, r.stdout, r.stderr)
	}

	for _, host := range h[:2] {
		startAgent(t, host, "cookie="+theirs, "interval=200ms")
	}
	others := hostAddrs(h[:2]...)
	r = run(t, h[3], "addrs", "cookie="+mine, "timeout=1s")
	line := lineWith(r.stderr, "no peers found: ")
	if r.code != 0 || r.stdout != "\n" || !strings.Contains(line, "[WARN]") || !strings.Contains(line, "sealed with another cookie (from ") ||
		!strings.Contains(line, others[0]) || !strings.Contains(line, others[1]) || !strings.Contains(line, "check that every node has this cookie") {
		t.Errorf("another cookie: exit %d, stdout %q, line %q; want a WARN line naming the other cookie and its senders %q; stderr:\n%s", r.code, r.stdout, line, others, r.stderr)
	}
	if !strings.Contains(r.stderr, "[WARN]  the cookie is on the command line (cookie=): ps shows it") {
		t.Errorf("no warning of the inline cookie:\n%s", r.stderr)
	}

	doc := decodeAddrsJSON(t, run(t, h[3], "-q", "addrs", "-json", "cookie="+mine, "timeout=1s"))
	from := slices.Sorted(slices.Values(doc.Heard.OtherCookieFrom))
	if len(doc.Addrs) != 0 || doc.Heard.OtherCookie == 0 || !slices.Equal(from, others) || !strings.Contains(doc.Heard.Summary, "sealed with another cookie") {
		t.Errorf("-json: %+v; want no addrs, other_cookie > 0 from %q", doc, others)
	}

	a := startAgent(t, h[2], "cookie="+mine, "timeout=1s")
	line = a.waitStderr("first lookup found no peers: ", 10*time.Second)
	if !strings.Contains(line, "[WARN]") || !strings.Contains(line, "sealed with another cookie (from ") || !strings.Contains(line, "other_cookie=") {
		t.Errorf("agent's first lookup: %q; want a WARN line with the reason and its counts", line)
	}
	if code, _ := a.signal(syscall.SIGTERM, 3*time.Second); code != 0 {
		t.Fatalf("agent exit %d", code)
	}

	w := start(t, h[3], "watch", "-json", "cookie="+mine, "timeout=1s")
	ev := waitHeard(t, w, "lookup")
	if ev.Peers != 0 || ev.Heard.OtherCookie == 0 || len(ev.Heard.OtherCookieFrom) == 0 {
		t.Errorf("watch -json after its first lookup: %+v; want other_cookie > 0 and its senders", ev)
	}
	if code, _ := w.signal(syscall.SIGINT, 3*time.Second); code != 0 {
		t.Fatalf("watch on SIGINT: exit %d; stderr:\n%s", code, w.stderr)
	}
	if ev := waitHeard(t, w, "stop"); ev.Heard.OtherCookie == 0 {
		t.Errorf("watch -json at its end: %+v; want other_cookie > 0", ev)
	}
	if !strings.Contains(w.stderr.String(), "[WARN]  watch stopped with 0 live peers: heard ") {
		t.Errorf("watch's log lacks its end-of-run line:\n%s", w.stderr)
	}
	for _, out := range []string{r.stderr, a.stderr.String(), w.stderr.String()} {
		if strings.Contains(out, mine) || strings.Contains(out, theirs) {
			t.Errorf("a log shows a cookie:\n%s", out)
		}
	}
}

// watchHeard is a watch -json "heard" object.
type watchHeard struct {
	Time  time.Time `json:"time"`
	Event string    `json:"event"`
	Why   string    `json:"why"`
	Peers int       `json:"peers"`
	Heard jsonHeard `json:"heard"`
}

// waitHeard waits for watch -json's "heard" object of why and decodes it
// strictly.
func waitHeard(t *testing.T, w *proc, why string) watchHeard {
	t.Helper()
	line := w.waitLine(10*time.Second, `a "heard" object, why `+why, func(s string) bool {
		return strings.Contains(s, `"event":"heard"`) && strings.Contains(s, `"why":"`+why+`"`)
	})
	var ev watchHeard
	dec := json.NewDecoder(strings.NewReader(line))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&ev); err != nil || ev.Heard.Datagrams == nil || ev.Heard.Summary == "" || time.Since(ev.Time) > time.Minute {
		t.Fatalf("watch -json line %q (%v): want a whole heard object", line, err)
	}
	return ev
}

// lineWith returns the first line of s that contains sub, or "".
func lineWith(s, sub string) string {
	for l := range strings.Lines(s) {
		if strings.Contains(l, sub) {
			return strings.TrimSuffix(l, "\n")
		}
	}
	return ""
}

// TestConfigWarnings: a cookie_file open to others, the group and port of
// mDNS are warned about, once each, naming the file, never the cookie; a
// loopback advertise is refused with an error naming the key.
func TestConfigWarnings(t *testing.T) {
	l := lab.New(t, 1)
	cookie := keygen(t)
	file := filepath.Join(t.TempDir(), "cookie")
	if err := os.WriteFile(file, []byte(cookie+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(file, 0o644); err != nil { // whatever the umask
		t.Fatal(err)
	}
	r := run(t, l.Host(1), "addrs", "cookie_file="+file, "multicast_addr=224.0.0.251", "port=5353", "timeout=100ms")
	for _, w := range []string{
		`cookie_file "` + file + `" is open to its group or to others (mode 0644)`,
		"multicast_addr 224.0.0.251 is the group of mDNS",
		"multicast_addr 224.0.0.251 is in 224.0.0.0/24",
		"port 5353 is the port of mDNS",
	} {
		if n := strings.Count(r.stderr, w); r.code != 0 || n != 1 || !strings.Contains(lineWith(r.stderr, w), "[WARN]") {
			t.Errorf("exit %d; %d WARN lines with %q, want 1:\n%s", r.code, n, w, r.stderr)
		}
	}
	if strings.Contains(r.stderr, cookie) || strings.Contains(r.stderr, "cookie is on the command line") {
		t.Errorf("the log shows the cookie, or warns of an inline one it was not given:\n%s", r.stderr)
	}
	r = run(t, l.Host(1), "addrs", "cookie_file="+file, "advertise=127.0.0.1")
	if r.code != 1 || !strings.Contains(r.stderr, `invalid advertise "127.0.0.1"`) || !strings.Contains(r.stderr, "not loopback") {
		t.Errorf("advertise=127.0.0.1: exit %d, stderr %q; want exit 1 naming advertise and what it accepts", r.code, r.stderr)
	}
}
