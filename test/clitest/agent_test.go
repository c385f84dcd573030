package clitest

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mcgossip/go-discover-mcgossip/internal/lab"
	"github.com/mcgossip/go-discover-mcgossip/provider/mcgossip/wire"
)

// metricsAddr is where the agent under test serves its metrics, inside its
// lab host.
const metricsAddr = "127.0.0.1:9102"

// scrapeIn fetches http://addr/metrics from inside host h's namespace.
func scrapeIn(h *lab.Host, addr string) (string, error) {
	c := &http.Client{
		Timeout:   5 * time.Second,
		Transport: &http.Transport{DisableKeepAlives: true, DialContext: h.DialContext},
	}
	resp, err := c.Get("http://" + addr + "/metrics")
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err == nil && resp.StatusCode != http.StatusOK {
		err = fmt.Errorf("GET /metrics: %s", resp.Status)
	}
	return string(b), err
}

// sample returns the value of a series (name and labels as exposed) in a
// Prometheus text exposition, or "".
func sample(text, series string) string {
	m := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(series) + ` (\S+)$`).FindStringSubmatch(text)
	if m == nil {
		return ""
	}
	return m[1]
}

// positive, as a wanted value of waitMetrics, stands for any count above 0.
const positive = ">0"

// waitMetrics scrapes h until every series has its value (or, for
// positive, a count above 0), and returns the last scrape; it fails the
// test after d.
func waitMetrics(t *testing.T, h *lab.Host, d time.Duration, want map[string]string) string {
	t.Helper()
	deadline := time.NewTimer(d)
	defer deadline.Stop()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		text, err := scrapeIn(h, metricsAddr)
		var bad []string
		for series, v := range want {
			got := sample(text, series)
			if got != v && (v != positive || got == "" || got == "0") {
				bad = append(bad, fmt.Sprintf("%s = %q, want %q", series, got, v))
			}
		}
		if err == nil && len(bad) == 0 {
			return text
		}
		select {
		case <-tick.C:
		case <-deadline.C:
			t.Fatalf("metrics of %s not as expected within %v: %v %s\n%s", h, d, err, strings.Join(bad, "; "), text)
		}
	}
}

// listeners returns the TCP sockets listening in h's namespace (ss).
func listeners(t *testing.T, h *lab.Host) string {
	t.Helper()
	out, err := h.Command(t.Context(), "ss", "-Hltn").Output()
	if err != nil {
		t.Fatalf("ss -Hltn in %s: %v", h, err)
	}
	return strings.TrimSpace(string(out))
}

// TestAgentMetrics: an agent with -metrics-addr serves Prometheus metrics
// in its host (peers, its first lookup and its latency, sends, drops by
// reason); an agent without it listens on no TCP port.
func TestAgentMetrics(t *testing.T) {
	l := lab.New(t, 2)
	h := l.Hosts()
	cookie := keygen(t)
	b := startAgent(t, h[1], "cookie="+cookie, "name=b")
	a := startAgent(t, h[0], "-metrics-addr", metricsAddr, "cookie="+cookie, "name=a")
	if want := "metrics=http://" + metricsAddr + "/metrics"; !strings.Contains(a.stderr.String(), want) {
		t.Errorf("the agent's start line does not say %q:\n%s", want, a.stderr)
	}
	a.waitStderr("first lookup found 1 peer", 10*time.Second)
	waitMetrics(t, h[0], 10*time.Second, map[string]string{
		"mcgossip_peers":                                   "1",
		`mcgossip_lookups{result="found"}`:                 "1",
		`mcgossip_lookups{result="empty"}`:                 "0",
		"mcgossip_lookup_duration_count":                   "1",
		"mcgossip_datagrams_sent":                          positive,
		"mcgossip_datagrams_received":                      positive,
		"mcgossip_datagrams_accepted":                      positive,
		"mcgossip_send_errors":                             "0",
		`mcgossip_datagrams_dropped{reason="unknown_key"}`: "0",
	})
	if got := listeners(t, h[1]); got != "" {
		t.Errorf("an agent without -metrics-addr listens on TCP:\n%s", got)
	}
	if got := listeners(t, h[0]); !strings.Contains(got, metricsAddr) {
		t.Errorf("the agent with -metrics-addr %s does not listen there:\n%s", metricsAddr, got)
	}
	// Another cluster's agent: its datagrams are drops for reason
	// unknown_key, and it is no peer.
	startAgent(t, h[1], "cookie="+keygen(t), "interval=200ms")
	waitMetrics(t, h[0], 10*time.Second, map[string]string{
		`mcgossip_datagrams_dropped{reason="unknown_key"}`: positive,
		"mcgossip_peers": "1",
	})
	for _, p := range []*proc{a, b} {
		if code, _ := p.signal(syscall.SIGTERM, 3*time.Second); code != 0 {
			t.Fatalf("agent exit %d on SIGTERM; stderr:\n%s", code, p.stderr)
		}
	}
	if got := listeners(t, h[0]); got != "" {
		t.Errorf("the metrics endpoint is still listening after the agent stopped:\n%s", got)
	}
}

// TestAgentUSR1HUP: SIGUSR1 logs the counters and the peer table; SIGHUP
// reads the cookie_file again: unchanged, it says so; rotated, the keys
// swap at once (the old cookie no longer finds the agent, the new one
// does, with the same instance id); a bad file keeps the keys. The agent
// goes on after each and stops with exit 0 on SIGTERM. No cookie in the
// log.
func TestAgentUSR1HUP(t *testing.T) {
	l := lab.New(t, 3)
	h := l.Hosts()
	oldC, newC := keygen(t), keygen(t)
	file := filepath.Join(t.TempDir(), "cookie")
	writeCookie := func(content string) {
		t.Helper()
		if err := os.WriteFile(file, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	writeCookie(oldC + "\n")
	b := startAgent(t, h[1], "cookie="+oldC, "name=peer-b")
	a := startAgent(t, h[0], "cookie_file="+file, "name=node-a")
	a.waitStderr("peer join: addr="+h[1].Addr.String(), 10*time.Second)

	kill := func(sig syscall.Signal) {
		t.Helper()
		if err := a.cmd.Process.Signal(sig); err != nil {
			t.Fatalf("signal %v: %v", sig, err)
		}
	}
	kill(syscall.SIGUSR1)
	line := a.waitStderr("counters (SIGUSR1):", 5*time.Second)
	for _, field := range []string{"peers=1", "datagrams_sent=", "send_errors=0", "datagrams_dropped="} {
		if !strings.Contains(line, field) {
			t.Errorf("counters line %q lacks %s", line, field)
		}
	}
	a.waitStderr("peer table (SIGUSR1): peers=1", time.Second)
	line = a.waitStderr("peer: addr="+h[1].Addr.String(), time.Second)
	for _, field := range []string{"state=alive", "name=peer-b", "last_seen="} {
		if !strings.Contains(line, field) {
			t.Errorf("peer line %q lacks %s", line, field)
		}
	}

	// lookup runs addrs -json from h[2] with cookie and returns the ids
	// of the peers it found, by address.
	lookup := func(what, cookie, expect string) map[string]string {
		t.Helper()
		doc := decodeAddrsJSON(t, run(t, h[2], "-q", "addrs", "-json", "cookie="+cookie, "expect="+expect, "timeout=1s"))
		ids := map[string]string{}
		for _, p := range doc.Peers {
			ids[p.Addr] = p.ID
		}
		return ids
	}
	before := lookup("before", oldC, "2")
	if before[h[0].Addr.String()] == "" || before[h[1].Addr.String()] == "" {
		t.Fatalf("before the rotation, the old cookie finds %v; want both agents", before)
	}
	oldID, newID := keyID(oldC), keyID(newC)

	kill(syscall.SIGHUP)
	line = a.waitStderr("reload (SIGHUP)", 5*time.Second)
	if !strings.Contains(line, "[INFO]") || !strings.Contains(line, "cookie_file read again: unchanged: key "+oldID) {
		t.Errorf("reload of an unchanged file: %q; want INFO, unchanged, key %s", line, oldID)
	}

	writeCookie(newC + "\n")
	kill(syscall.SIGHUP)
	line = a.waitStderr("reload (SIGHUP)", 5*time.Second)
	if !strings.Contains(line, "cookie_file read again: key "+newID+" (was key "+oldID+")") {
		t.Errorf("reload of a rotated file: %q; want key %s replacing %s", line, newID, oldID)
	}
	if got := lookup("old cookie", oldC, "2"); got[h[0].Addr.String()] != "" || got[h[1].Addr.String()] == "" {
		t.Errorf("after the rotation, the old cookie finds %v; want peer-b alone", got)
	}
	if got := lookup("new cookie", newC, "1"); got[h[0].Addr.String()] != before[h[0].Addr.String()] {
		t.Errorf("after the rotation, the new cookie finds %v; want node-a, instance %s as before", got, before[h[0].Addr.String()])
	}

	writeCookie("\n")
	kill(syscall.SIGHUP)
	line = a.waitStderr("reload (SIGHUP)", 5*time.Second)
	if !strings.Contains(line, "[ERROR]") || !strings.Contains(line, "failed: keeping the current keys") || !strings.Contains(line, file) {
		t.Errorf("reload of a blank file: %q; want an ERROR naming the file, keeping the keys", line)
	}
	if got := lookup("new cookie after the error", newC, "1"); got[h[0].Addr.String()] == "" {
		t.Errorf("after a failed reload, the new cookie finds %v; want node-a", got)
	}

	// An agent whose cookie is not from a file has nothing to reload.
	if err := b.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	if line := b.waitStderr("reload (SIGHUP)", 5*time.Second); !strings.Contains(line, "[WARN]") || !strings.Contains(line, "nothing to reload: the cookie comes from cookie=") {
		t.Errorf("reload of an agent with cookie=: %q; want a WARN saying there is nothing to reload", line)
	}

	kill(syscall.SIGUSR1)
	a.waitStderr("peer table (SIGUSR1): ", 5*time.Second)
	if code, took := a.signal(syscall.SIGTERM, 3*time.Second); code != 0 || took > time.Second {
		t.Fatalf("agent on SIGTERM after SIGUSR1 and SIGHUP: exit %d after %v; want 0 within 1s; stderr:\n%s", code, took, a.stderr)
	}
	if out := a.stderr.String(); strings.Contains(out, oldC) || strings.Contains(out, newC) {
		t.Errorf("the agent's log shows a cookie:\n%s", out)
	}
}

// keyID returns the key id of cookie, as the log shows it.
func keyID(cookie string) string { return strings.TrimPrefix(wire.DeriveKey(cookie).String(), "key ") }
