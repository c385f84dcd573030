package cli

import (
	"encoding/json"
	"io"
	"time"

	"github.com/mcgossip/go-discover-mcgossip/provider/mcgossip"
)

// The JSON that addrs -json and watch -json print, for scripts. Field
// names are snake_case and stable; new fields may be added.

// peerJSON is a peer.
type peerJSON struct {
	Addr     string    `json:"addr"`           // the address lookups return, without the port
	Port     uint16    `json:"port,omitempty"` // the advertised port, if any
	Name     string    `json:"name,omitempty"`
	ID       string    `json:"id"`        // the instance id, hex: new at each start of the peer
	LastSeen time.Time `json:"last_seen"` // when it was last heard from
}

func newPeerJSON(p mcgossip.Peer) peerJSON {
	return peerJSON{Addr: p.Addr.String(), Port: p.Port, Name: p.Name, ID: p.ID.String(), LastSeen: p.LastSeen.UTC()}
}

// addrsJSON is the document addrs -json prints.
type addrsJSON struct {
	// Addrs are the addresses the plain output lists: "ip" or "ip:port".
	Addrs []string `json:"addrs"`
	// Peers are the peers found, sorted as Addrs.
	Peers []peerJSON `json:"peers"`
	// Group is the multicast group and port that was asked.
	Group string `json:"group"`
	// Expect is the expect setting (0: none); len(Peers) < Expect means
	// the lookup ended at its timeout short of it.
	Expect int `json:"expect"`
	// TookMS is how long the lookup took, in milliseconds.
	TookMS int64 `json:"took_ms"`
	// Heard is what the engine heard during the lookup, and the peers of
	// this host it left out: why a lookup found fewer than expected.
	Heard heardJSON `json:"heard"`
}

// writeAddrsJSON writes the addrs document for peers, found in took with
// cfg, listed as addrs, having heard h.
func writeAddrsJSON(w io.Writer, cfg *mcgossip.Config, addrs []string, peers []mcgossip.Peer, took time.Duration, h mcgossip.Heard) error {
	doc := addrsJSON{
		Addrs:  addrs,
		Peers:  make([]peerJSON, len(peers)),
		Group:  cfg.Groups(),
		Expect: cfg.Expect,
		TookMS: took.Milliseconds(),
		Heard:  newHeardJSON(h),
	}
	if doc.Addrs == nil {
		doc.Addrs = []string{}
	}
	for i, p := range peers {
		doc.Peers[i] = newPeerJSON(p)
	}
	return json.NewEncoder(w).Encode(doc)
}

// eventJSON is one line of watch -json.
type eventJSON struct {
	Time  time.Time `json:"time"`
	Event string    `json:"event"` // join, update, leave or expire
	peerJSON
}

// writeEventJSON writes one watch -json line.
func writeEventJSON(w io.Writer, t time.Time, kind string, p mcgossip.Peer) error {
	return json.NewEncoder(w).Encode(eventJSON{Time: t.UTC(), Event: kind, peerJSON: newPeerJSON(p)})
}

// heardEventJSON is a watch -json line of the "heard" event: what the
// engine heard since watch started.
type heardEventJSON struct {
	Time  time.Time `json:"time"`
	Event string    `json:"event"` // "heard"
	// Why is "lookup" (the first lookup ended), "periodic" (once a
	// minute, when the counts changed) or "stop" (watch is stopping).
	Why   string    `json:"why"`
	Peers int       `json:"peers"` // live peers now
	Heard heardJSON `json:"heard"`
}

// writeHeardJSON writes one watch -json "heard" line.
func writeHeardJSON(w io.Writer, t time.Time, why string, peers int, h mcgossip.Heard) error {
	return json.NewEncoder(w).Encode(heardEventJSON{Time: t.UTC(), Event: "heard", Why: why, Peers: peers, Heard: newHeardJSON(h)})
}
