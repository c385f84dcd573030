package mcgossip_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/netip"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mcgossip/go-discover-mcgossip/provider/mcgossip"
)

// decodeRecord decodes a JSON line of slog's JSONHandler, without its time.
func decodeRecord(t *testing.T, line string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(line), &m); err != nil {
		t.Fatalf("%v: %q", err, line)
	}
	delete(m, "time")
	return m
}

// jsonLogger returns a *slog.Logger writing JSON records at debug to b.
func jsonLogger(b *logBuf) *slog.Logger {
	return slog.New(slog.NewJSONHandler(b, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// TestLogTextAndRecords: two observers see the same peer come, be
// verified, join and leave, and the same foreign datagram dropped; one
// logs to a *log.Logger, the other to a *slog.Logger (Config.Logger). The
// *log.Logger gets exactly "[DEBUG] discover-mcgossip: " and the message,
// no field; the *slog.Logger a record with the same message,
// module=discover-mcgossip and the fields: the peer's id, address and
// name, the drop's reason and source, the lookup's counts.
func TestLogTextAndRecords(t *testing.T) {
	checkNoLeak(t)
	n := mcgossip.NewMemNet()
	text, recs := newLogBuf(), newLogBuf()
	a, err := mcgossip.NewMemEngine(n, memConfig(false), text.logger())
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	cb := memConfig(false)
	cb.Logger = jsonLogger(recs)
	b, err := mcgossip.NewMemEngine(n, cb, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	cx := memConfig(true)
	cx.Name = "node x"
	x, err := mcgossip.NewMemEngine(n, cx, nil)
	if err != nil {
		t.Fatal(err)
	}
	id, ep := x.ID().String(), n.Addr(x)
	short, addr := id[:8], ep.Addr().String()
	peer := map[string]any{"id": id, "addr": addr, "name": "node x"}

	// check waits for the line of each logger and compares them.
	check := func(msg string, fields map[string]any) {
		t.Helper()
		line := text.wait(t, msg, 5*time.Second)
		if want := "[DEBUG] discover-mcgossip: " + msg; line != want {
			t.Errorf("text line %q, want %q", line, want)
		}
		got := decodeRecord(t, recs.wait(t, strconv.Quote(msg), 5*time.Second))
		want := map[string]any{"level": "DEBUG", "msg": msg, "module": "discover-mcgossip"}
		for k, v := range fields {
			want[k] = v
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("record\n%v\nwant\n%v", got, want)
		}
	}
	check(fmt.Sprintf(`verifying peer %s (%s named "node x"): a unicast query to its sealed endpoint %s; it becomes a peer when its answer arrives`, short, addr, ep),
		map[string]any{"peer": peer, "endpoint": ep.String()})
	check(fmt.Sprintf(`peer %s joined: %s named "node x"`, short, addr), map[string]any{"peer": peer})

	src := netip.MustParseAddrPort("10.9.9.9:40000")
	a.Receive(make([]byte, 64), src, true)
	b.Receive(make([]byte, 64), src, true)
	check("dropped a datagram from 10.9.9.9:40000: not an mcgossip datagram (another protocol, such as libcluster, uses this group and port); further drops of this kind are only counted for a minute",
		map[string]any{"reason": "magic", "src": "10.9.9.9:40000"})

	if _, err := b.Discover(context.Background(), mcgossip.WithExpect(1)); err != nil {
		t.Fatal(err)
	}
	got := decodeRecord(t, recs.wait(t, `"msg":"lookup found 1 peers`, 5*time.Second))
	if !regexp.MustCompile(`^lookup found 1 peers \(\d+ answered its \d+ queries; the answers counted \d+ members\) in \d+(\.\d+)?[mµ]?s$`).MatchString(got["msg"].(string)) ||
		got["found"] != 1.0 || got["answered"] == nil || got["queries"] == nil || got["members"] == nil || got["took"] == nil {
		t.Errorf("lookup record %v: want the message and found, answered, queries, members, took", got)
	}

	if err := x.Close(); err != nil {
		t.Fatal(err)
	}
	check(fmt.Sprintf(`peer %s (%s named "node x") left`, short, addr), map[string]any{"peer": peer})
	if strings.Contains(text.String(), "peer.") || strings.Contains(text.String(), "module=") {
		t.Errorf("the *log.Logger got fields:\n%s", text)
	}
}

// TestProviderLogger: with Provider.Logger set, the lookup that ended
// short is a record with its counts (found, expect, took, group, the
// Heard counts inline), and the *log.Logger of Addrs gets nothing.
func TestProviderLogger(t *testing.T) {
	recs, text := newLogBuf(), newLogBuf()
	p := &mcgossip.Provider{Logger: jsonLogger(recs)}
	defer p.Close()
	port := strconv.Itoa(nextPort())
	if _, err := p.Addrs(map[string]string{"port": port, "timeout": "200ms", "announce": "false", "expect": "2"}, text.logger()); err != nil {
		t.Fatal(err)
	}
	got := decodeRecord(t, recs.wait(t, `"msg":"no peers found in `, time.Second))
	if got["level"] != "INFO" || got["module"] != "discover-mcgossip" || got["found"] != 0.0 || got["expect"] != 2.0 ||
		got["group"] != "230.1.1.251:"+port || got["datagrams"] != 0.0 || got["took"] == nil ||
		!strings.Contains(got["msg"].(string), "230.1.1.251:"+port+": heard nothing from any other host") {
		t.Errorf("short lookup record %v", got)
	}
	if text.String() != "" {
		t.Errorf("Addrs' *log.Logger got lines though Provider.Logger is set:\n%s", text)
	}
}
