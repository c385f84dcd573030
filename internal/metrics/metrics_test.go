package metrics_test

import (
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mcgossip/go-discover-mcgossip/internal/metrics"
	"github.com/mcgossip/go-discover-mcgossip/internal/netns"
	"github.com/mcgossip/go-discover-mcgossip/provider/mcgossip"
)

// TestMain runs the package in a private network namespace: the endpoint
// listens on its loopback.
func TestMain(m *testing.M) { netns.Main(m) }

// fakeStats is a Stats source the test changes between scrapes.
type fakeStats struct {
	mu sync.Mutex
	s  mcgossip.Stats
}

func (f *fakeStats) get() mcgossip.Stats {
	f.mu.Lock()
	defer f.mu.Unlock()
	s := f.s
	s.Dropped = map[string]uint64{}
	for k, v := range f.s.Dropped {
		s.Dropped[k] = v
	}
	return s
}

func (f *fakeStats) set(fn func(*mcgossip.Stats)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fn(&f.s)
}

// scrape returns the endpoint's text exposition.
func scrape(t *testing.T, s *metrics.Server) string {
	t.Helper()
	c := &http.Client{Timeout: 5 * time.Second}
	resp, err := c.Get("http://" + s.Addr().String() + metrics.Path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s, %v", metrics.Path, resp.Status, err)
	}
	return string(b)
}

// value returns the sample of the metric series (name with its labels as
// exposed, such as `mcgossip_datagrams_dropped{reason="auth"}`), or "".
func value(text, series string) string {
	m := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(series) + ` (\S+)$`).FindStringSubmatch(text)
	if m == nil {
		return ""
	}
	return m[1]
}

// expect checks the values of series in a scrape's text.
func expect(t *testing.T, when, text string, want map[string]string) {
	t.Helper()
	for series, v := range want {
		if got := value(text, series); got != v {
			t.Errorf("%s: %s = %q, want %q", when, series, got, v)
		}
	}
}

// TestServer: every metric is listed from the first scrape, with its help;
// a scrape shows the counters as they are then; counters grow by what the
// engine's grew; lookups are counted by result and timed.
func TestServer(t *testing.T) {
	f := &fakeStats{s: mcgossip.Stats{Peers: 2, Received: 10, Sent: 4,
		Dropped: map[string]uint64{"auth": 0, "unknown_key": 3, "stale": 0}}}
	s, err := metrics.Listen("127.0.0.1:0", f.get)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := s.Close(); err != nil {
			t.Error(err)
		}
	}()
	text := scrape(t, s)
	expect(t, "first scrape", text, map[string]string{
		"mcgossip_peers":                                   "2",
		"mcgossip_datagrams_received":                      "10",
		"mcgossip_datagrams_sent":                          "4",
		"mcgossip_datagrams_accepted":                      "0",
		"mcgossip_send_errors":                             "0",
		"mcgossip_events_dropped":                          "0",
		`mcgossip_datagrams_dropped{reason="unknown_key"}`: "3",
		`mcgossip_datagrams_dropped{reason="auth"}`:        "0",
		`mcgossip_lookups{result="found"}`:                 "0",
		`mcgossip_lookups{result="error"}`:                 "0",
		"mcgossip_lookup_duration_count":                   "0",
	})
	for _, help := range []string{"# HELP mcgossip_peers Live peers", "# TYPE mcgossip_peers gauge", "# TYPE mcgossip_datagrams_sent counter",
		"# HELP mcgossip_datagrams_dropped Datagrams dropped, by reason.", "# TYPE mcgossip_lookup_duration summary"} {
		if !strings.Contains(text, help) {
			t.Errorf("first scrape lacks %q:\n%s", help, text)
		}
	}

	f.set(func(s *mcgossip.Stats) {
		s.Peers, s.Received, s.Sent, s.SendErrors = 1, 25, 9, 1
		s.Dropped["auth"], s.Dropped["unknown_key"] = 2, 3
	})
	start := time.Now().Add(-40 * time.Millisecond)
	s.Lookup(start, 2, nil)
	s.Lookup(start, 0, nil)
	s.Lookup(start, 0, io.EOF)
	s.Lookup(start, 1, nil)
	text = scrape(t, s)
	expect(t, "second scrape", text, map[string]string{
		"mcgossip_peers":                                   "1",
		"mcgossip_datagrams_received":                      "25",
		"mcgossip_datagrams_sent":                          "9",
		"mcgossip_send_errors":                             "1",
		`mcgossip_datagrams_dropped{reason="unknown_key"}`: "3",
		`mcgossip_datagrams_dropped{reason="auth"}`:        "2",
		`mcgossip_lookups{result="found"}`:                 "2",
		`mcgossip_lookups{result="empty"}`:                 "1",
		`mcgossip_lookups{result="error"}`:                 "1",
		"mcgossip_lookup_duration_count":                   "4",
	})
	// Four lookups of at least 40ms each, in milliseconds.
	if sum, err := strconv.ParseFloat(value(text, "mcgossip_lookup_duration_sum"), 64); err != nil || sum < 160 || sum > 60_000 {
		t.Errorf("lookup_duration_sum = %v (%v), want 160 or a little more (ms)", sum, err)
	}
}

// TestNilServer: with the metrics off (a nil *Server) recording does
// nothing and Close succeeds.
func TestNilServer(t *testing.T) {
	var s *metrics.Server
	s.Sample()
	s.Lookup(time.Now(), 1, nil)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestCheckAddr(t *testing.T) {
	for _, ok := range []string{"127.0.0.1:9102", ":9102", "[::1]:9102", "localhost:0"} {
		if err := metrics.CheckAddr(ok); err != nil {
			t.Errorf("CheckAddr(%q) = %v", ok, err)
		}
	}
	for _, bad := range []string{"", "9102", "127.0.0.1", "127.0.0.1:http", "127.0.0.1:70000", ":-1"} {
		if err := metrics.CheckAddr(bad); err == nil || !strings.Contains(err.Error(), "-metrics-addr") {
			t.Errorf("CheckAddr(%q) = %v, want an error naming -metrics-addr", bad, err)
		}
	}
}

// TestFields: the SIGUSR1 dump's fields name every counter, the dropped
// total and the non-zero reasons.
func TestFields(t *testing.T) {
	kv := metrics.Fields(mcgossip.Stats{Peers: 3, Sent: 7, Dropped: map[string]uint64{"stale": 2, "auth": 0, "replay": 5}})
	got := map[string]any{}
	for i := 0; i+1 < len(kv); i += 2 {
		got[kv[i].(string)] = kv[i+1]
	}
	for k, want := range map[string]any{"peers": uint64(3), "datagrams_sent": uint64(7), "datagrams_dropped": uint64(7), "dropped_by_reason": "replay=5 stale=2"} {
		if got[k] != want {
			t.Errorf("%s = %v (%T), want %v; fields %v", k, got[k], got[k], want, kv)
		}
	}
}
