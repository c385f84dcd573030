package mcgossip_test

import (
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/mcgossip/go-discover-mcgossip/provider/mcgossip"
	"github.com/mcgossip/go-discover-mcgossip/provider/mcgossip/wire"
)

// FuzzReceive feeds an engine's receive path authentic datagrams with
// arbitrary fields (sealed with its own key, so they pass the codec and
// reach the table), and raw bytes: nothing panics, every datagram is
// counted once, and only an answer to a query of the engine's own makes a
// peer.
func FuzzReceive(f *testing.F) {
	f.Add(uint8(wire.TypeAnnounce), []byte("instance-0000001"), int64(0), uint64(1), false, uint16(0), []byte{}, "", true, []byte(nil))
	f.Add(uint8(wire.TypeAnswer), []byte("instance-0000002"), int64(-1000), uint64(7), true, uint16(8301), []byte{10, 0, 0, 1}, "node-1", false, []byte(nil))
	f.Add(uint8(wire.TypeAnswer), []byte("instance-0000003"), int64(0), uint64(1), false, uint16(0), []byte{}, "", false, []byte(nil))
	f.Add(uint8(wire.TypeQuery), []byte("instance-0000004"), int64(29000), uint64(3), false, uint16(0), make([]byte, 16), "", true, []byte(nil))
	f.Add(uint8(wire.TypeLeave), []byte("instance-0000002"), int64(0), uint64(8), false, uint16(0), []byte{}, "", true, []byte(nil))
	f.Add(uint8(wire.TypeAnnounce), []byte("instance-0000005"), int64(-31000), uint64(1), false, uint16(0), []byte{}, "", true, []byte(nil))
	f.Add(uint8(0), []byte{}, int64(0), uint64(0), false, uint16(0), []byte{}, "", true, []byte("mcg\x01garbage"))

	e, err := mcgossip.NewMemEngine(mcgossip.NewMemNet(), memConfig(true), nil)
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { e.Close() })
	kr := e.Keyring()
	ours := e.PendingQuery()
	var mu sync.Mutex
	answered := map[wire.InstanceID]bool{} // instances that answered ours
	src := netip.MustParseAddrPort("10.9.9.9:40000")

	f.Fuzz(func(t *testing.T, typ uint8, inst []byte, offsetMs int64, counter uint64, useOurs bool,
		port uint16, addr []byte, name string, group bool, raw []byte) {
		m := wire.Message{Type: wire.Type(typ), Time: time.Now().Add(time.Duration(offsetMs%60000) * time.Millisecond),
			Counter: counter, Port: port, Name: name}
		copy(m.Instance[:], inst)
		if useOurs {
			m.Query = ours
		} else if m.Type == wire.TypeQuery || m.Type == wire.TypeAnswer {
			m.Query = wire.QueryID(m.Instance) // some id of no query of ours
		}
		if a, ok := netip.AddrFromSlice(addr); ok {
			m.Advertise = a
		}
		if m.Type != wire.TypeLeave {
			m.Endpoint4 = src
		}
		if m.Type == wire.TypeAnnounce || m.Type == wire.TypeAnswer {
			m.Interval = time.Second
		}
		if m.Type == wire.TypeAnswer {
			m.Members = 3
		}
		d := raw
		if d == nil {
			if d, err = wire.AppendSeal(nil, kr, &m, nil); err != nil {
				d = []byte(name) // not a message the codec seals: garbage instead
			}
		}
		mu.Lock()
		defer mu.Unlock()
		before := e.Stats()
		e.Receive(d, src, group)
		after := e.Stats()
		if used, dropped := after.Accepted-before.Accepted, after.DroppedTotal()-before.DroppedTotal(); used+dropped != 1 {
			t.Fatalf("one datagram: %d accepted and %d dropped", used, dropped)
		}
		if raw == nil && after.Accepted > before.Accepted && m.Type == wire.TypeAnswer && useOurs {
			answered[m.Instance] = true
		}
		for _, p := range e.Peers() {
			if !answered[p.ID] {
				t.Fatalf("peer %v (%s) never answered a query of the engine's", p.ID, p)
			}
		}
	})
}
