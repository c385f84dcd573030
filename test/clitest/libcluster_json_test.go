package clitest

import (
	"encoding/binary"
	"encoding/json"
	"net"
	"net/netip"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mcgossip/go-discover-mcgossip/internal/lab"
)

// jsonNode is a BEAM node as addrs -json and watch -json print it with
// provider=libcluster.
type jsonNode struct {
	Addr      string    `json:"addr"`
	Port      uint16    `json:"port"`
	Name      string    `json:"name"`
	FirstSeen time.Time `json:"first_seen"`
	LastSeen  time.Time `json:"last_seen"`
}

// TestLibclusterJSON: with provider=libcluster, addrs -json prints one
// document (addrs, nodes, group, expect, took_ms) and watch -json one
// object per event, with the node's name and address. The node is a host
// of the lab that multicasts libcluster heartbeats (no Erlang needed: no
// cookie, so no check).
func TestLibclusterJSON(t *testing.T) {
	l := lab.New(t, 2)
	h := l.Hosts()
	name := "app@" + h[1].Addr.String()
	sendHeartbeats(t, h[1], name)

	r := run(t, h[0], "-q", "addrs", "-json", "provider=libcluster", "expect=1", "timeout=10s")
	var doc struct {
		Addrs  []string   `json:"addrs"`
		Nodes  []jsonNode `json:"nodes"`
		Group  string     `json:"group"`
		Expect int        `json:"expect"`
		TookMS *int64     `json:"took_ms"`
	}
	dec := json.NewDecoder(strings.NewReader(r.stdout))
	dec.DisallowUnknownFields()
	if r.code != 0 || r.stderr != "" || dec.Decode(&doc) != nil || dec.More() || !strings.HasSuffix(r.stdout, "}\n") {
		t.Fatalf("addrs -json provider=libcluster: exit %d, stderr %q, stdout %q; want one JSON document", r.code, r.stderr, r.stdout)
	}
	addr := h[1].Addr.String()
	if len(doc.Addrs) != 1 || doc.Addrs[0] != addr || len(doc.Nodes) != 1 || doc.Group != "233.252.1.32:45892" ||
		doc.Expect != 1 || doc.TookMS == nil || *doc.TookMS < 0 || *doc.TookMS > 10000 {
		t.Fatalf("addrs -json provider=libcluster: %+v; want addrs [%s], one node, group 233.252.1.32:45892, expect 1", doc, addr)
	}
	if n := doc.Nodes[0]; n.Addr != addr || n.Name != name || n.Port != 0 || n.LastSeen.Before(n.FirstSeen) || time.Since(n.LastSeen) > time.Minute {
		t.Errorf("addrs -json provider=libcluster node: %+v; want %s at %s, recent", n, name, addr)
	}

	w := start(t, h[0], "watch", "-json", "provider=libcluster")
	line := w.waitLine(10*time.Second, "a JSON join line", func(s string) bool { return strings.Contains(s, `"event":"join"`) })
	var ev struct {
		Time  time.Time `json:"time"`
		Event string    `json:"event"`
		Error string    `json:"error"`
		jsonNode
	}
	dec = json.NewDecoder(strings.NewReader(line))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&ev); err != nil || ev.Event != "join" || ev.Addr != addr || ev.Name != name || ev.Error != "" || time.Since(ev.Time) > time.Minute {
		t.Fatalf("watch -json provider=libcluster line %q (%v): want a join of %s at %s", line, err, name, addr)
	}
	if code, _ := w.signal(syscall.SIGINT, 3*time.Second); code != 0 {
		t.Fatalf("watch -json provider=libcluster on SIGINT: exit %d; stderr:\n%s", code, w.stderr)
	}
}

// sendHeartbeats makes h multicast a plain libcluster heartbeat of node
// (as OTP 25 writes it) to libcluster's default group every 50 ms, from
// its address, until the test ends.
func sendHeartbeats(t *testing.T, h *lab.Host, node string) {
	t.Helper()
	pc, err := h.ListenPacket("udp4", h.Addr.String()+":0")
	if err != nil {
		t.Fatal(err)
	}
	hb := append([]byte("heartbeat::"), 131, 116, 0, 0, 0, 1, 100, 0, 4)
	hb = append(hb, "node"...)
	hb = append(hb, 100)
	hb = binary.BigEndian.AppendUint16(hb, uint16(len(node)))
	hb = append(hb, node...)
	dst := net.UDPAddrFromAddrPort(netip.MustParseAddrPort("233.252.1.32:45892"))
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		for {
			_, _ = pc.WriteTo(hb, dst)
			select {
			case <-stop:
				return
			case <-tick.C:
			}
		}
	}()
	t.Cleanup(func() {
		close(stop)
		<-done
		pc.Close()
	})
}
