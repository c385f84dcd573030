package wire_test

import (
	"errors"
	"math"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/mcgossip/go-discover-mcgossip/provider/mcgossip/wire"
)

// TestMarshalRejects checks that AppendMarshal and AppendSeal refuse what
// Open would refuse, naming the field and what is accepted, and leave dst
// unchanged.
func TestMarshalRejects(t *testing.T) {
	msgs := sampleMessages(t)
	with := func(name string, f func(m *wire.Message)) wire.Message { m := msgs[name]; f(&m); return m }
	full := func(f func(m *wire.Message)) wire.Message { return with("announce full", f) }
	ap := netip.MustParseAddrPort
	seen := seenOf(t, 8, 1, id16(0x80))
	cases := []struct {
		name   string
		m      wire.Message
		detail string
	}{
		{"type 0", full(func(m *wire.Message) { m.Type = 0 }), "invalid message type 0"},
		{"type 5", full(func(m *wire.Message) { m.Type = 5 }), "invalid message type 5"},
		{"zero instance", full(func(m *wire.Message) { m.Instance = wire.InstanceID{} }), "invalid instance id"},
		{"zero time", full(func(m *wire.Message) { m.Time = time.Time{} }), "invalid time"},
		{"epoch", full(func(m *wire.Message) { m.Time = time.UnixMilli(0) }), "invalid time"},
		{"before epoch", full(func(m *wire.Message) { m.Time = time.UnixMilli(-5) }), "invalid time"},
		{"under a millisecond after the epoch", full(func(m *wire.Message) { m.Time = time.Unix(0, 999_999) }), "invalid time"},
		{"time beyond int64 milliseconds", full(func(m *wire.Message) { m.Time = time.UnixMilli(math.MaxInt64).Add(time.Millisecond) }), "invalid time"},
		{"zero counter", full(func(m *wire.Message) { m.Counter = 0 }), "invalid counter 0"},
		{"announce with query id", full(func(m *wire.Message) { m.Query = id16(1) }), "must be zero"},
		{"query without query id", with("query", func(m *wire.Message) { m.Query = wire.QueryID{} }), "must not be zero"},
		{"answer without query id", with("answer", func(m *wire.Message) { m.Query = wire.QueryID{} }), "must not be zero"},

		{"Endpoint4 IPv6", full(func(m *wire.Message) { m.Endpoint4 = ap("[2001:db8::1]:1") }), "invalid Endpoint4"},
		{"Endpoint4 IPv4-mapped", full(func(m *wire.Message) { m.Endpoint4 = ap("[::ffff:1.2.3.4]:1") }), "invalid Endpoint4"},
		{"Endpoint4 0.0.0.0", full(func(m *wire.Message) { m.Endpoint4 = ap("0.0.0.0:1") }), "invalid Endpoint4"},
		{"Endpoint4 multicast", full(func(m *wire.Message) { m.Endpoint4 = ap("224.0.0.1:1") }), "invalid Endpoint4"},
		{"Endpoint4 broadcast", full(func(m *wire.Message) { m.Endpoint4 = ap("255.255.255.255:1") }), "invalid Endpoint4"},
		{"Endpoint4 port 0", full(func(m *wire.Message) { m.Endpoint4 = ap("1.2.3.4:0") }), "nonzero port"},
		{"Endpoint4 port without address", full(func(m *wire.Message) { m.Endpoint4 = netip.AddrPortFrom(netip.Addr{}, 1) }), "invalid Endpoint4"},
		{"Endpoint6 IPv4", full(func(m *wire.Message) { m.Endpoint6 = ap("1.2.3.4:1") }), "invalid Endpoint6"},
		{"Endpoint6 IPv4-mapped", full(func(m *wire.Message) { m.Endpoint6 = ap("[::ffff:1.2.3.4]:1") }), "invalid Endpoint6"},
		{"Endpoint6 ::", full(func(m *wire.Message) { m.Endpoint6 = ap("[::]:1") }), "invalid Endpoint6"},
		{"Endpoint6 multicast", full(func(m *wire.Message) { m.Endpoint6 = ap("[ff02::1]:1") }), "invalid Endpoint6"},
		{"Endpoint6 zone", full(func(m *wire.Message) { m.Endpoint6 = ap("[fe80::1%eth0]:1") }), "without zone"},
		{"Endpoint6 port 0", full(func(m *wire.Message) { m.Endpoint6 = ap("[2001:db8::1]:0") }), "nonzero port"},
		{"Advertise 0.0.0.0", full(func(m *wire.Message) { m.Advertise = netip.IPv4Unspecified() }), "invalid Advertise"},
		{"Advertise ::", full(func(m *wire.Message) { m.Advertise = netip.IPv6Unspecified() }), "invalid Advertise"},
		{"Advertise 4in6", full(func(m *wire.Message) { m.Advertise = netip.MustParseAddr("::ffff:1.2.3.4") }), "invalid Advertise"},
		{"Advertise zone", full(func(m *wire.Message) { m.Advertise = netip.MustParseAddr("fe80::1%eth0") }), "invalid Advertise"},
		{"Advertise multicast", full(func(m *wire.Message) { m.Advertise = netip.MustParseAddr("239.1.1.1") }), "invalid Advertise"},
		{"name too long", full(func(m *wire.Message) { m.Name = strings.Repeat("x", 65) }), "at most 64 bytes"},
		{"name not printable", full(func(m *wire.Message) { m.Name = "a\tb" }), "printable"},
		{"name invalid utf-8", full(func(m *wire.Message) { m.Name = "\xff" }), "printable"},
		{"interval 99ms", full(func(m *wire.Message) { m.Interval = 99 * time.Millisecond }), "invalid Interval 99ms"},
		{"interval just under 100ms", full(func(m *wire.Message) { m.Interval = 100*time.Millisecond - 1 }), "invalid Interval"},
		{"interval negative", full(func(m *wire.Message) { m.Interval = -time.Second }), "invalid Interval"},
		{"interval too long", full(func(m *wire.Message) { m.Interval = wire.MaxInterval + time.Millisecond }), "invalid Interval"},
		{"window under 1µs", with("query", func(m *wire.Message) { m.Window = 999 }), "invalid Window"},
		{"window negative", with("query", func(m *wire.Message) { m.Window = -time.Second }), "invalid Window"},
		{"window too long", with("query", func(m *wire.Message) { m.Window = wire.MaxWindow + time.Microsecond }), "invalid Window"},

		{"announce without endpoint", full(func(m *wire.Message) { m.Endpoint4, m.Endpoint6 = netip.AddrPort{}, netip.AddrPort{} }), "needs Endpoint4 or Endpoint6"},
		{"query without endpoint", with("query", func(m *wire.Message) { m.Endpoint4 = netip.AddrPort{} }), "needs Endpoint4 or Endpoint6"},
		{"answer without endpoint", with("answer", func(m *wire.Message) { m.Endpoint4 = netip.AddrPort{} }), "needs Endpoint4 or Endpoint6"},
		{"announce without interval", full(func(m *wire.Message) { m.Interval = 0 }), "needs Interval"},
		{"answer without interval", with("answer", func(m *wire.Message) { m.Interval = 0 }), "needs Interval"},
		{"answer without members", with("answer", func(m *wire.Message) { m.Members = 0 }), "needs Members"},

		{"leave with an endpoint", with("leave", func(m *wire.Message) { m.Endpoint4 = ap("1.2.3.4:5") }), "invalid Endpoint4 for leave: carried only by announce, query and answer"},
		{"leave with a name", with("leave", func(m *wire.Message) { m.Name = "x" }), "invalid Name for leave"},
		{"query with advertise", with("query", func(m *wire.Message) { m.Advertise = netip.MustParseAddr("1.2.3.4") }), "invalid Advertise for query"},
		{"query with port", with("query", func(m *wire.Message) { m.Port = 1 }), "invalid Port for query"},
		{"query with name", with("query", func(m *wire.Message) { m.Name = "x" }), "invalid Name for query: carried only by announce and answer"},
		{"query with interval", with("query", func(m *wire.Message) { m.Interval = time.Second }), "invalid Interval for query"},
		{"query with members", with("query", func(m *wire.Message) { m.Members = 1 }), "invalid Members for query"},
		{"announce with window", full(func(m *wire.Message) { m.Window = time.Second }), "invalid Window for announce: carried only by query and answer"},
		{"announce with seen", full(func(m *wire.Message) { m.Seen = seen }), "invalid Seen for announce: carried only by query"},
		{"answer with seen", with("answer", func(m *wire.Message) { m.Seen = seen }), "invalid Seen for answer"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dst := []byte("dst")
			got, err := wire.AppendMarshal(dst, &tc.m)
			if err == nil || !strings.Contains(err.Error(), tc.detail) || !strings.HasPrefix(err.Error(), "wire: ") {
				t.Errorf("AppendMarshal: %v, want an error with %q", err, tc.detail)
			}
			if string(got) != "dst" {
				t.Errorf("AppendMarshal changed dst: %q", got)
			}
			got, err = wire.AppendSeal(dst, testRing, &tc.m, &countingReader{})
			if err == nil || !strings.Contains(err.Error(), tc.detail) {
				t.Errorf("AppendSeal: %v, want an error with %q", err, tc.detail)
			}
			if string(got) != "dst" {
				t.Errorf("AppendSeal changed dst: %q", got)
			}
		})
	}
}

// TestMarshalTruncates checks that only whole milliseconds of Interval and
// whole microseconds of Window travel.
func TestMarshalTruncates(t *testing.T) {
	m := sampleMessages(t)["answer"]
	m.Interval = 1500*time.Millisecond + 999*time.Microsecond
	m.Window = 250*time.Microsecond + 999
	var got wire.Message
	if err := wire.Open(testRing, sealed(t, m), &got); err != nil {
		t.Fatal(err)
	}
	if got.Interval != 1500*time.Millisecond || got.Window != 250*time.Microsecond {
		t.Errorf("Interval %v, Window %v; want 1.5s and 250µs", got.Interval, got.Window)
	}
}

type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, errors.New("entropy exhausted") }

func TestAppendSealRandomError(t *testing.T) {
	m := sampleMessages(t)["query"]
	got, err := wire.AppendSeal([]byte("dst"), testRing, &m, failingReader{})
	if err == nil || !strings.Contains(err.Error(), "entropy exhausted") {
		t.Errorf("AppendSeal: %v, want the reader's error", err)
	}
	if string(got) != "dst" {
		t.Errorf("AppendSeal changed dst: %q", got)
	}
}
