package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/mcgossip/go-discover-mcgossip/provider/libcluster"
)

// The JSON of addrs -json and watch -json for provider=libcluster, with
// mcgossip's field names where they mean the same (addr, port, name,
// last_seen, group, expect, took_ms, time, event). Field names are
// snake_case and stable; new fields may be added.

// nodeJSON is a BEAM node.
type nodeJSON struct {
	Addr      string    `json:"addr"`           // the source address of its heartbeats
	Port      uint16    `json:"port,omitempty"` // its distribution port, from epmd, if asked
	Name      string    `json:"name"`           // the node's name, such as "app@10.0.0.5"
	FirstSeen time.Time `json:"first_seen"`     // its first heartbeat
	LastSeen  time.Time `json:"last_seen"`      // its last heartbeat
}

func newNodeJSON(n libcluster.NodeInfo) nodeJSON {
	return nodeJSON{Addr: n.Addr.String(), Port: n.Port, Name: string(n.Node), FirstSeen: n.FirstSeen.UTC(), LastSeen: n.LastSeen.UTC()}
}

// libclusterAddrsJSON is the document addrs -json prints for
// provider=libcluster.
type libclusterAddrsJSON struct {
	// Addrs are the addresses the plain output lists: "ip", or "ip:port"
	// with dist_port=true.
	Addrs []string `json:"addrs"`
	// Nodes are the nodes listed, sorted by address and name.
	Nodes []nodeJSON `json:"nodes"`
	// Group is the multicast group and port that was listened to.
	Group string `json:"group"`
	// Expect is the expect setting (0: none); len(Nodes) < Expect means
	// the lookup ended at its timeout short of it.
	Expect int `json:"expect"`
	// TookMS is how long the lookup took, in milliseconds.
	TookMS int64 `json:"took_ms"`
}

// writeLibclusterAddrsJSON writes the addrs document for nodes, found in
// took with cfg, listed as addrs.
func writeLibclusterAddrsJSON(w io.Writer, cfg *libcluster.Config, addrs []string, nodes []libcluster.NodeInfo, took time.Duration) error {
	doc := libclusterAddrsJSON{
		Addrs:  addrs,
		Nodes:  make([]nodeJSON, len(nodes)),
		Group:  libclusterGroup(cfg),
		Expect: cfg.Expect,
		TookMS: took.Milliseconds(),
	}
	if doc.Addrs == nil {
		doc.Addrs = []string{}
	}
	for i, n := range nodes {
		doc.Nodes[i] = newNodeJSON(n)
	}
	return json.NewEncoder(w).Encode(doc)
}

// libclusterGroup returns "group:port".
func libclusterGroup(cfg *libcluster.Config) string {
	return fmt.Sprintf("%s:%d", cfg.MulticastAddr, cfg.Port)
}

// libclusterEventJSON is one line of watch -json for provider=libcluster.
type libclusterEventJSON struct {
	Time  time.Time `json:"time"`
	Event string    `json:"event"` // join, reject or expire
	nodeJSON
	// Error says why a node was rejected (never the cookie).
	Error string `json:"error,omitempty"`
}

// writeLibclusterEventJSON writes one watch -json line.
func writeLibclusterEventJSON(w io.Writer, ev libcluster.Event) error {
	j := libclusterEventJSON{Time: ev.Time.UTC(), Event: ev.Kind.String(), nodeJSON: newNodeJSON(ev.Node)}
	if ev.Err != nil {
		j.Error = ev.Err.Error()
	}
	return json.NewEncoder(w).Encode(j)
}
