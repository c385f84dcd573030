package clitest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mcgossip/go-discover-mcgossip/internal/lab"
	"github.com/mcgossip/go-discover-mcgossip/provider/mcgossip"
)

// jsonPeer is a peer as addrs -json and watch -json print it.
type jsonPeer struct {
	Addr     string    `json:"addr"`
	Port     uint16    `json:"port"`
	Name     string    `json:"name"`
	ID       string    `json:"id"`
	LastSeen time.Time `json:"last_seen"`
}

// jsonHeard is what a lookup heard, as addrs -json and watch -json print it.
type jsonHeard struct {
	Datagrams       *uint64  `json:"datagrams"`
	Accepted        uint64   `json:"accepted"`
	OtherCookie     uint64   `json:"other_cookie"`
	OtherCookieFrom []string `json:"other_cookie_from"`
	Stale           uint64   `json:"stale"`
	StaleFrom       []string `json:"stale_from"`
	Forged          uint64   `json:"forged"`
	OtherVersion    uint64   `json:"other_version"`
	OtherProtocol   uint64   `json:"other_protocol"`
	LeftOut         []string `json:"left_out"`
	Summary         string   `json:"summary"`
}

// addrsDoc is the document addrs -json prints.
type addrsDoc struct {
	Addrs  []string   `json:"addrs"`
	Peers  []jsonPeer `json:"peers"`
	Group  string     `json:"group"`
	Expect int        `json:"expect"`
	TookMS *int64     `json:"took_ms"`
	Heard  jsonHeard  `json:"heard"`
}

// decodeAddrsJSON decodes r, an addrs -json run, strictly: one document,
// no field the test does not know.
func decodeAddrsJSON(t *testing.T, r result) addrsDoc {
	t.Helper()
	var doc addrsDoc
	dec := json.NewDecoder(strings.NewReader(r.stdout))
	dec.DisallowUnknownFields()
	if r.code != 0 || dec.Decode(&doc) != nil || dec.More() || !strings.HasSuffix(r.stdout, "}\n") ||
		doc.Heard.Datagrams == nil || doc.Heard.Summary == "" || doc.Heard.LeftOut == nil || doc.Heard.OtherCookieFrom == nil {
		t.Fatalf("addrs -json: exit %d, stderr %q, stdout %q; want one JSON document with every field", r.code, r.stderr, r.stdout)
	}
	return doc
}

// checkAddrsJSON checks r, an addrs -json run with expect=len(hosts) that
// found the agents on hosts, named blue-<index>.
func checkAddrsJSON(t *testing.T, r result, hosts []*lab.Host) {
	t.Helper()
	var doc addrsDoc
	dec := json.NewDecoder(strings.NewReader(r.stdout))
	dec.DisallowUnknownFields()
	if r.code != 0 || r.stderr != "" || dec.Decode(&doc) != nil || dec.More() || !strings.HasSuffix(r.stdout, "}\n") {
		t.Fatalf("addrs -json: exit %d, stderr %q, stdout %q; want one JSON document", r.code, r.stderr, r.stdout)
	}
	want := hostAddrs(hosts...)
	group := fmt.Sprintf("%s:%d", mcgossip.DefaultMulticastAddr, mcgossip.DefaultPort)
	if !slices.Equal(doc.Addrs, want) || len(doc.Peers) != len(hosts) || doc.Expect != len(hosts) ||
		doc.Group != group || doc.TookMS == nil || *doc.TookMS < 0 || *doc.TookMS > 5000 ||
		doc.Heard.Datagrams == nil || *doc.Heard.Datagrams == 0 || doc.Heard.Accepted == 0 || len(doc.Heard.LeftOut) != 0 {
		t.Fatalf("addrs -json: %+v; want addrs %q, %d peers, expect %d, group %s, took_ms within the timeout", doc, want, len(hosts), len(hosts), group)
	}
	for i, p := range doc.Peers {
		h := hosts[i]
		if p.Addr != h.Addr.String() || p.Name != "blue-"+strconv.Itoa(h.Index) || len(p.ID) != 32 || p.Port != 0 ||
			time.Since(p.LastSeen) > time.Minute || time.Since(p.LastSeen) < -time.Minute {
			t.Errorf("addrs -json peer %d: %+v; want %s named blue-%d, a 32-digit id, a recent last_seen", i, p, h.Addr, h.Index)
		}
	}
}

// TestWatchJSON: watch -json prints one JSON object per event: a join
// with the peer's name, then its leave.
func TestWatchJSON(t *testing.T) {
	l := lab.New(t, 2)
	h := l.Hosts()
	cookie := keygen(t)
	w := start(t, h[1], "watch", "-json", "-log-level", "info", "cookie="+cookie)
	w.waitStderr("watch started", 10*time.Second)
	a := startAgent(t, h[0], "cookie="+cookie, "name=node-a")
	for _, want := range []string{"join", "leave"} {
		line := w.waitLine(10*time.Second, "a JSON "+want+" line", func(s string) bool {
			return strings.Contains(s, `"event":"`+want+`"`)
		})
		var ev struct {
			Time  time.Time `json:"time"`
			Event string    `json:"event"`
			jsonPeer
		}
		dec := json.NewDecoder(bytes.NewReader([]byte(line)))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&ev); err != nil || ev.Event != want || ev.Addr != h[0].Addr.String() || ev.Name != "node-a" ||
			len(ev.ID) != 32 || time.Since(ev.Time) > time.Minute {
			t.Fatalf("watch -json line %q (%v): want a %s of %s named node-a", line, err, want, h[0].Addr)
		}
		if want == "join" {
			if code, _ := a.signal(syscall.SIGTERM, 3*time.Second); code != 0 {
				t.Fatalf("agent exit %d", code)
			}
		}
	}
	if code, _ := w.signal(syscall.SIGINT, 3*time.Second); code != 0 {
		t.Fatalf("watch -json on SIGINT: exit %d; stderr:\n%s", code, w.stderr)
	}
}
