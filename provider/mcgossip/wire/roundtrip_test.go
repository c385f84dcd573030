package wire_test

import (
	"bytes"
	"net/netip"
	"testing"
	"time"

	"github.com/mcgossip/go-discover-mcgossip/provider/mcgossip/wire"
)

func TestRoundTrip(t *testing.T) {
	for name, m := range sampleMessages(t) {
		t.Run(name, func(t *testing.T) {
			d, err := wire.AppendSeal(nil, testRing, &m, nil) // crypto/rand nonce
			if err != nil {
				t.Fatalf("AppendSeal: %v", err)
			}
			var got wire.Message
			if err := wire.Open(testRing, d, &got); err != nil {
				t.Fatalf("Open: %v", err)
			}
			if !equalMessage(t, got, m) {
				t.Errorf("Open = %+v, want %+v", got, m)
			}
			if got.Time.Location() != time.UTC {
				t.Errorf("Time location %v, want UTC", got.Time.Location())
			}
			// Opening into a reused, dirty message overwrites every field.
			dirty := wire.Message{Type: 9, Instance: id16(9), Time: time.Now(), Counter: 9, Query: id16(9),
				Endpoint4: netip.MustParseAddrPort("9.9.9.9:9"), Endpoint6: netip.MustParseAddrPort("[::9]:9"),
				Advertise: netip.MustParseAddr("9.9.9.9"), Port: 9, Name: "dirty", Interval: 9 * time.Second,
				Window: 9 * time.Second, Members: 9, Seen: seenOf(t, 4096, 9, id16(9), id16(9))}
			if err := wire.Open(testRing, d, &dirty); err != nil {
				t.Fatalf("Open into a dirty message: %v", err)
			}
			if !equalMessage(t, dirty, m) {
				t.Errorf("Open into a dirty message = %+v, want %+v", dirty, m)
			}
			// Two seals of one message differ (random nonce) and both open.
			d2, err := wire.AppendSeal(nil, testRing, &m, nil)
			if err != nil {
				t.Fatal(err)
			}
			if bytes.Equal(d, d2) {
				t.Errorf("two seals gave the same bytes")
			}
		})
	}
}

// TestOpenReusesSeen checks the documented aliasing: Open decodes a filter
// into the storage m.Seen already has, so a clone keeps its content and a
// plain copy does not.
func TestOpenReusesSeen(t *testing.T) {
	q := sampleMessages(t)["query seen"]
	var m wire.Message
	if err := wire.Open(testRing, sealed(t, q), &m); err != nil {
		t.Fatal(err)
	}
	kept, copied := m.Seen.Clone(), m.Seen
	other := q
	other.Seen = seenOf(t, 64, 3, q.Query, id16(0x55))
	if err := wire.Open(testRing, sealed(t, other), &m); err != nil {
		t.Fatal(err)
	}
	if !kept.Equal(&q.Seen) {
		t.Errorf("the clone changed")
	}
	if !copied.Equal(&other.Seen) {
		t.Errorf("Open did not reuse the filter's storage")
	}
	// A message without a filter leaves m.Seen empty.
	if err := wire.Open(testRing, sealed(t, sampleMessages(t)["query"]), &m); err != nil {
		t.Fatal(err)
	}
	if m.Seen.Bits() != 0 || m.Seen.Hashes() != 0 || m.Seen.Has(q.Query, id16(1)) {
		t.Errorf("Seen after a query without a filter: %d bits, %d hashes", m.Seen.Bits(), m.Seen.Hashes())
	}
}

func TestRoundTripTimeIsMilliseconds(t *testing.T) {
	now := time.Now() // with a monotonic reading and nanoseconds
	m := sampleMessages(t)["leave"]
	m.Time = now
	var got wire.Message
	if err := wire.Open(testRing, sealed(t, m), &got); err != nil {
		t.Fatal(err)
	}
	if want := time.UnixMilli(now.UnixMilli()).UTC(); got.Time != want {
		t.Errorf("Time = %v, want %v", got.Time, want)
	}
}
