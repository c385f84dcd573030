package consul

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mcgossip/go-discover-mcgossip/internal/lab"
)

// Deadlines for the cluster's events. Gossip completes within a second
// and raft elects a leader within about six (Consul's default timing);
// these leave room for a loaded CI machine.
const (
	formTimeout    = 60 * time.Second
	failTimeout    = 60 * time.Second
	wrongTimeout   = 40 * time.Second
	restartTimeout = 60 * time.Second
)

// What Consul v1.16.3's retry_join logs (agent/retry_join.go).
const (
	msgJoinFailed    = "Join cluster failed, will retry"
	msgJoinCompleted = "Join cluster completed. Synced with initial agents"
	msgDiscovered    = "Discovered servers"
)

// newCookie returns a random cookie in hex. Hex keeps it clear of the
// words ("key", "token", "secret") that make Consul hide a retry_join
// field, so what Consul shows of it does not depend on chance.
func newCookie(t *testing.T) string {
	t.Helper()
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// writeCookie writes cookie to a file only its owner can read, as an
// operator would, and returns the file's path.
func writeCookie(t *testing.T, cookie string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "mcgossip-cookie")
	if err := os.WriteFile(path, []byte(cookie+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// alive returns the sorted names of the alive members.
func alive(ms map[string]member) []string {
	var names []string
	for name, m := range ms {
		if m.Status == statusAlive {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	return names
}

// allAlive returns nil when every agent of the cluster sees all of them,
// and only them, alive.
func allAlive(cluster []*agent) error {
	var want []string
	for _, a := range cluster {
		want = append(want, a.name)
	}
	slices.Sort(want)
	for _, a := range cluster {
		ms, err := a.members()
		if err != nil {
			return fmt.Errorf("%s: %w", a.name, err)
		}
		if got := alive(ms); !slices.Equal(got, want) {
			return fmt.Errorf("%s sees alive %v, want %v", a.name, got, want)
		}
	}
	return nil
}

// TestConsulCluster forms a Consul cluster of three servers and a client,
// each on a lab host of its own, from retry_join through the provider
// alone; then checks that an agent with another cookie stays out, that a
// server restarted without its serf snapshot rejoins through the
// provider, and what Consul logs of the provider.
func TestConsulCluster(t *testing.T) {
	bin := consulBinary(t)
	l := lab.New(t, 5)

	cookie := newCookie(t)
	join := "provider=mcgossip cookie_file=" + writeCookie(t, cookie)
	var servers []*agent
	for i := 1; i <= 3; i++ {
		servers = append(servers, newAgent(t, bin, l.Host(i), fmt.Sprintf("s%d", i),
			agentConfig{server: true, retryJoin: join + " expect=2"}))
	}
	// The client only looks (announce=false): servers' lookups never
	// return it.
	client := newAgent(t, bin, l.Host(4), "c1", agentConfig{retryJoin: join + " announce=false"})
	// Another cluster's client. Its cookie is inline, so the test also
	// shows what Consul makes of a cookie in a retry_join string; it
	// retries every second to make its attempts within the deadline.
	other := newCookie(t)
	stranger := newAgent(t, bin, l.Host(5), "x1", agentConfig{
		retryJoin: "provider=mcgossip cookie=" + other + " announce=false",
		extra:     `retry_interval = "1s"`,
	})
	cluster := append(slices.Clone(servers), client)
	s1, s3 := servers[0], servers[2]
	var logs []*agentLog // every run of every agent, for the log checks
	t.Cleanup(func() {
		if t.Failed() {
			for _, g := range logs {
				t.Logf("consul %s, last lines:\n%s", g.name, g.tail(30))
			}
		}
	})

	if !t.Run("form", func(t *testing.T) {
		start := time.Now()
		for _, a := range cluster {
			a.start(t)
			logs = append(logs, a.log)
		}
		eventually(t, formTimeout, "all four agents alive in every agent's members", func() error {
			return allAlive(cluster)
		})
		gossip := time.Since(start)
		eventually(t, formTimeout, "one leader known to every agent", func() error {
			var first string
			for _, a := range cluster {
				ld, err := a.leader()
				if err != nil {
					return fmt.Errorf("%s: %w", a.name, err)
				}
				if ld == "" || (first != "" && ld != first) {
					return fmt.Errorf("%s knows leader %q, %s knew %q", a.name, ld, cluster[0].name, first)
				}
				first = ld
			}
			for _, s := range servers {
				if first == s.host.Addr.String()+":8300" {
					return nil
				}
			}
			return fmt.Errorf("leader %q is none of the servers", first)
		})
		t.Logf("from the first start: all four alive after %v, a leader after %v",
			gossip.Round(time.Millisecond), time.Since(start).Round(time.Millisecond))

		ms, err := s1.members()
		if err != nil {
			t.Fatal(err)
		}
		for name, role := range map[string]string{"s1": "consul", "s2": "consul", "s3": "consul", "c1": "node"} {
			if got := ms[name].Tags["role"]; got != role {
				t.Errorf("member %s has role %q, want %q", name, got, role)
			}
		}
	}) {
		return
	}

	t.Run("another cookie never joins", func(t *testing.T) {
		stranger.start(t)
		logs = append(logs, stranger.log)
		// Two whole attempts: each is a lookup that runs to its timeout;
		// by the second, the stranger's engine has heard the servers'
		// announcements (sealed with the other cookie) for over an interval.
		attempt := func(l logLine) bool { return l.Message == msgJoinFailed || l.Message == msgJoinCompleted }
		for n := 1; n <= 2; n++ {
			got, err := stranger.log.wait(wrongTimeout, n, "of x1's join attempts ending", attempt)
			if err != nil {
				t.Fatal(err)
			}
			if l := got[n-1]; l.Message != msgJoinFailed || l.field("error") != "No servers to join" {
				t.Fatalf("x1's join attempt %d ended with %s; want %q with error %q (discovery found nobody)",
					n, l.Raw, msgJoinFailed, "No servers to join")
			}
		}
		ms, err := stranger.members()
		if err != nil {
			t.Fatal(err)
		}
		if len(ms) != 1 || ms["x1"].Status != statusAlive {
			t.Errorf("x1 sees members %v, want itself alone", ms)
		}
		for _, a := range cluster {
			ms, err := a.members()
			if err != nil {
				t.Fatal(err)
			}
			if m, ok := ms["x1"]; ok {
				t.Errorf("%s lists x1 (status %d)", a.name, m.Status)
			}
		}
		// Consul shows retry_join strings as written: cleanRetryJoin hides
		// only fields with "key", "token" or "secret" in them.
		var self []byte
		if err := stranger.get("/v1/agent/self", &self); err != nil {
			t.Fatal(err)
		}
		if !bytes.Contains(self, []byte("cookie="+other)) {
			t.Errorf("x1's /v1/agent/self does not show its inline cookie; Consul now hides it (update the README's advice)")
		}
		if err := s1.get("/v1/agent/self", &self); err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(self, []byte(cookie)) || !bytes.Contains(self, []byte(join)) {
			t.Errorf("s1's /v1/agent/self should show its retry_join %q, and the cookie nowhere", join)
		}
	})

	t.Run("restart without serf snapshot rejoins", func(t *testing.T) {
		s3.stop(t)
		if n := len(providerLines(s3.log, "engine ", " stopped")); n == 0 {
			t.Logf("s3 exited without a provider 'engine stopped' line: Consul never closes the provider, so no leave was sent")
		}
		took := eventually(t, failTimeout, "s1 sees s3 failed", func() error {
			ms, err := s1.members()
			if err != nil {
				return err
			}
			if st := ms["s3"].Status; st != statusFailed {
				return fmt.Errorf("s3 has status %d, want %d (failed)", st, statusFailed)
			}
			return nil
		})
		t.Logf("s1 saw s3 failed %v after it exited", took.Round(time.Millisecond))
		snapshot := filepath.Join(s3.dir, "serf", "local.snapshot")
		if err := os.Remove(snapshot); err != nil {
			t.Fatalf("removing s3's serf snapshot: %v", err)
		}

		start := time.Now()
		s3.start(t)
		logs = append(logs, s3.log)
		_, err := s3.log.wait(restartTimeout, 1, "Join cluster completed (LAN)", func(l logLine) bool {
			return l.Message == msgJoinCompleted && l.field("cluster") == "LAN"
		})
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("s3 rejoined %v after its restart", time.Since(start).Round(time.Millisecond))
		// What it joined came from the provider: the other servers, never
		// the looking client, the stranger or itself.
		found, _ := s3.log.wait(0, 1, "", message(msgDiscovered))
		if len(found) == 0 {
			t.Fatal("s3 logged no \"Discovered servers\" line: it did not join through the provider")
		}
		others := []string{servers[0].host.Addr.String(), servers[1].host.Addr.String()}
		for _, f := range found {
			t.Logf("s3 discovered servers=%q", f.field("servers"))
			for _, addr := range strings.Fields(f.field("servers")) {
				if !slices.Contains(others, addr) {
					t.Errorf("s3 discovered %s (servers=%q); want only the other servers %v", addr, f.field("servers"), others)
				}
			}
		}
		eventually(t, restartTimeout, "s3 alive again in every agent's members, a leader known to s3", func() error {
			if err := allAlive(cluster); err != nil {
				return err
			}
			if ld, err := s3.leader(); err != nil || ld == "" {
				return fmt.Errorf("s3 knows no leader (%q, %v)", ld, err)
			}
			return nil
		})
	})

	t.Run("provider log lines", func(t *testing.T) {
		checkProviderLogs(t, logs, cookie)
		for _, a := range servers {
			if !atInfo(providerLines(a.log, "engine ", "announcing")) {
				t.Errorf("%s: no INFO line of the provider's engine starting to announce", a.name)
			}
		}
		for _, a := range []*agent{client, stranger} {
			if !atInfo(providerLines(a.log, "engine ", "announce=false")) {
				t.Errorf("%s: no INFO line of the provider's engine starting to observe (announce=false)", a.name)
			}
		}
		if len(providerLines(stranger.log, "no peers found", "")) == 0 {
			t.Errorf("x1: no provider line saying it found nobody")
		}
		// And why, at WARN: the servers' datagrams are sealed with
		// another cookie; its own cookie= is warned about.
		why := providerLines(stranger.log, "no peers found", "sealed with another cookie (from ")
		if !slices.ContainsFunc(why, func(l logLine) bool { return l.Level == "warn" }) {
			t.Errorf("x1: no WARN line of the provider saying it heard another cookie")
		}
		if !slices.ContainsFunc(providerLines(stranger.log, "the cookie is inline in the config string", ""), func(l logLine) bool { return l.Level == "warn" }) {
			t.Errorf("x1: no WARN line of the provider about its inline cookie")
		}
		for _, a := range cluster {
			if n := len(providerLines(a.log, "the cookie is inline", "")); n > 0 {
				t.Errorf("%s: %d inline cookie warnings; it has a cookie_file", a.name, n)
			}
		}
	})
}

// providerLines returns the provider's lines in g whose message (after
// the provider's prefix) starts with prefix and contains sub.
func providerLines(g *agentLog, prefix, sub string) []logLine {
	var out []logLine
	for _, l := range g.all() {
		m := strings.TrimPrefix(l.Message, providerPrefix)
		if fromProvider(l) && strings.HasPrefix(m, prefix) && strings.Contains(m, sub) {
			out = append(out, l)
		}
	}
	return out
}

// atInfo reports whether lines has one at INFO.
func atInfo(lines []logLine) bool {
	return slices.ContainsFunc(lines, func(l logLine) bool { return l.Level == "info" })
}

// checkProviderLogs checks what every agent logged of the provider:
// Consul took its level from each line (hclog's InferLevels), put it under
// the agent's module, and the levels fit: no ERROR, INFO for the
// engine's start, DEBUG for peers; go-discover's own line names the
// provider; and no line anywhere holds the cluster's cookie.
func checkProviderLogs(t *testing.T, logs []*agentLog, cookie string) {
	t.Helper()
	for _, g := range logs {
		var errs []error
		var n, debug int
		var methods bool
		for _, l := range g.all() {
			if strings.Contains(l.Raw, cookie) {
				errs = append(errs, fmt.Errorf("a line holds the cookie: %s", l.Raw))
			}
			if l.Message == "Retry join is supported for the following discovery methods" &&
				slices.Contains(strings.Fields(l.field("discovery_methods")), "mcgossip") {
				methods = true
			}
			if strings.Contains(l.Message, providerPrefix) && !fromProvider(l) {
				errs = append(errs, fmt.Errorf("a provider line kept text before its prefix (level not inferred?): %s", l.Raw))
			}
			if !fromProvider(l) {
				continue
			}
			n++
			switch {
			case l.Module != "agent" || l.field("cluster") != "LAN":
				errs = append(errs, fmt.Errorf("a provider line outside the agent's LAN logger: %s", l.Raw))
			case l.Level == "error":
				errs = append(errs, fmt.Errorf("a provider line at ERROR: %s", l.Raw))
			case l.Level == "debug":
				debug++
			}
		}
		if !methods {
			errs = append(errs, errors.New(`no "Retry join is supported" line listing mcgossip`))
		}
		if n == 0 || debug == 0 {
			errs = append(errs, fmt.Errorf("%d provider lines, %d at DEBUG; want both above 0 (log_level is debug)", n, debug))
		}
		if err := errors.Join(errs...); err != nil {
			t.Errorf("consul %s: %v", g.name, err)
		}
	}
}
