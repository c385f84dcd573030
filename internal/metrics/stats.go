package metrics

import (
	"fmt"
	"slices"
	"strings"

	gometrics "github.com/hashicorp/go-metrics"

	"github.com/mcgossip/go-discover-mcgossip/provider/mcgossip"
)

// This file is the only one that knows the fields of mcgossip.Stats: it
// turns them into readings, which the metrics (Server) and the agent's
// SIGUSR1 dump (Fields) share.

// reading is one value of an engine's counters.
type reading struct {
	name   []string // the go-metrics key, after the "mcgossip" prefix
	labels []gometrics.Label
	help   string
	value  uint64
	gauge  bool // a level (else a counter, which only grows)
}

// read returns the readings of s, in a fixed order (dropped datagrams by
// reason name).
func read(s mcgossip.Stats) []reading {
	out := []reading{
		{name: []string{"peers"}, value: uint64(max(s.Peers, 0)), gauge: true,
			help: "Live peers in the engine's table."},
		{name: []string{"datagrams", "received"}, value: s.Received,
			help: "Datagrams read from the sockets."},
		{name: []string{"datagrams", "accepted"}, value: s.Accepted,
			help: "Datagrams that opened, were fresh, and were used."},
		{name: []string{"datagrams", "loopback"}, value: s.Loopback,
			help: "This engine's own multicast datagrams that came back (multicast works)."},
		{name: []string{"datagrams", "sent"}, value: s.Sent,
			help: "Datagrams sent."},
		{name: []string{"send", "errors"}, value: s.SendErrors,
			help: "Sends that failed."},
		{name: []string{"events", "dropped"}, value: s.EventsDropped,
			help: "Peer events not delivered to a subscriber whose channel was full."},
	}
	reasons := make([]string, 0, len(s.Dropped))
	for r := range s.Dropped {
		reasons = append(reasons, r)
	}
	slices.Sort(reasons)
	for _, r := range reasons {
		out = append(out, reading{name: []string{"datagrams", "dropped"}, value: s.Dropped[r],
			labels: []gometrics.Label{{Name: "reason", Value: r}},
			help:   "Datagrams dropped, by reason."})
	}
	return out
}

// Fields returns s as key/value pairs for an hclog line: every counter by
// its metric name, the dropped datagrams in total and, by reason, those
// that are not zero.
func Fields(s mcgossip.Stats) []any {
	var kv []any
	var dropped uint64
	var reasons []string
	for _, r := range read(s) {
		if len(r.labels) > 0 {
			dropped += r.value
			if r.value > 0 {
				reasons = append(reasons, fmt.Sprintf("%s=%d", r.labels[0].Value, r.value))
			}
			continue
		}
		kv = append(kv, strings.Join(r.name, "_"), r.value)
	}
	return append(kv, "datagrams_dropped", dropped, "dropped_by_reason", strings.Join(reasons, " "))
}
