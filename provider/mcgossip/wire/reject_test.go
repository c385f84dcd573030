package wire_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mcgossip/go-discover-mcgossip/provider/mcgossip/wire"
)

// sentinel is a pre-filled message: Open must leave it unchanged on error.
var sentinel = wire.Message{Type: wire.TypeLeave, Instance: id16(0x77), Time: t0, Counter: 77,
	Port: 77, Addr: netip.MustParseAddr("7.7.7.7"), Name: "unchanged"}

// mustReject opens d and checks the error is want, with its reason, and that
// m stayed as it was.
func mustReject(t *testing.T, kr *wire.Keyring, d []byte, want error) {
	t.Helper()
	m := sentinel
	err := wire.Open(kr, d, &m)
	if err == nil {
		t.Fatalf("Open(%x) succeeded: %+v; want %v", d, m, want)
	}
	if !errors.Is(err, want) {
		t.Fatalf("Open(%x) = %v, want %v", d, err, want)
	}
	if got, wantReason := wire.DropReason(err), wire.DropReason(want); got != wantReason || got == "other" {
		t.Errorf("DropReason(%v) = %q, want %q", err, got, wantReason)
	}
	if m != sentinel {
		t.Errorf("Open changed the message on error: %+v", m)
	}
}

func TestOpenRejectsHeader(t *testing.T) {
	valid := sealed(t, sampleMessages()["announce full"])
	with := func(i int, b byte) []byte {
		d := slices.Clone(valid)
		d[i] = b
		return d
	}
	cases := []struct {
		name string
		d    []byte
		want error
	}{
		{"nil", nil, wire.ErrShort},
		{"empty", []byte{}, wire.ErrShort},
		{"magic only", []byte("mcg"), wire.ErrShort},
		{"header only", valid[:wire.HeaderLen], wire.ErrShort},
		{"no body", valid[:wire.Overhead], wire.ErrShort},
		{"one byte under the minimum", valid[:wire.Overhead+51], wire.ErrShort},
		{"magic m", with(0, 'M'), wire.ErrMagic},
		{"magic c", with(1, 'x'), wire.ErrMagic},
		{"magic g", with(2, 0), wire.ErrMagic},
		{"short garbage", []byte("hello"), wire.ErrMagic},
		{"version 0", with(3, 0), wire.ErrVersion},
		{"version 2", with(3, 2), wire.ErrVersion},
		{"version 255", with(3, 255), wire.ErrVersion},
		{"version 2, short", []byte("mcg\x02"), wire.ErrVersion},
		{"flags 1", with(5, 1), wire.ErrVersion},
		{"flags 0x80", with(5, 0x80), wire.ErrVersion},
		{"type 0", with(4, 0), wire.ErrType},
		{"type 5", with(4, 5), wire.ErrType},
		{"type 255", with(4, 255), wire.ErrType},
		{"type changed to another valid type", with(4, byte(wire.TypeLeave)), wire.ErrAuth},
		{"key id", with(6, valid[6]^1), wire.ErrUnknownKey},
		{"nonce", with(wire.HeaderLen-1, valid[wire.HeaderLen-1]^1), wire.ErrAuth},
		{"ciphertext", with(wire.HeaderLen, valid[wire.HeaderLen]^1), wire.ErrAuth},
		{"tag", with(len(valid)-1, valid[len(valid)-1]^1), wire.ErrAuth},
		{"trailing byte", append(slices.Clone(valid), 0), wire.ErrAuth},
		{"longer than any v1 datagram", append(slices.Clone(valid), make([]byte, 183-len(valid))...), wire.ErrTooLarge},
		{"MaxDatagram", append(slices.Clone(valid), make([]byte, wire.MaxDatagram-len(valid))...), wire.ErrTooLarge},
		{"MaxDatagram+1 garbage", bytes.Repeat([]byte{0xff}, wire.MaxDatagram+1), wire.ErrTooLarge},
		{"64 KiB", make([]byte, 65535), wire.ErrTooLarge},
		{"other cluster", func() []byte {
			m := sampleMessages()["announce full"]
			d, _ := wire.AppendSeal(nil, wire.NewKeyring(otherKey), &m, nil)
			return d
		}(), wire.ErrUnknownKey},
		{"zero key id, zero nonce, zero body", append([]byte("mcg\x01\x01\x00"), make([]byte, 120)...), wire.ErrUnknownKey},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			mustReject(t, testRing, tc.d, tc.want)
		})
	}
}

// TestOpenRejectsTruncated truncates a datagram of each type at every length.
func TestOpenRejectsTruncated(t *testing.T) {
	for name, m := range sampleMessages() {
		t.Run(name, func(t *testing.T) {
			d := sealed(t, m)
			for n := range len(d) {
				want := wire.ErrAuth
				switch {
				case n < 4:
					want = wire.ErrShort
				case n < wire.Overhead+52:
					want = wire.ErrShort
				}
				mustReject(t, testRing, d[:n:n], want)
			}
		})
	}
}

// TestOpenRejectsFlips flips every bit of a datagram of each type.
func TestOpenRejectsFlips(t *testing.T) {
	for name, m := range sampleMessages() {
		t.Run(name, func(t *testing.T) {
			d := sealed(t, m)
			for i := range d {
				for bit := range 8 {
					f := slices.Clone(d)
					f[i] ^= 1 << bit
					var want error
					switch {
					case i < 3:
						want = wire.ErrMagic
					case i == 3, i == 5:
						want = wire.ErrVersion
					case i == 4 && !wire.Type(f[4]).Valid():
						want = wire.ErrType
					case i >= 6 && i < 10:
						want = wire.ErrUnknownKey
					default:
						want = wire.ErrAuth
					}
					mustReject(t, testRing, f, want)
				}
				// and the whole byte
				f := slices.Clone(d)
				f[i] ^= 0xff
				if err := wire.Open(testRing, f, new(wire.Message)); err == nil {
					t.Errorf("byte %d flipped: Open succeeded", i)
				}
			}
		})
	}
}

// validBody is the body of a minimal announce, to be mutated.
func validBody(t *testing.T) []byte {
	m := sampleMessages()["announce minimal"]
	b, err := wire.AppendMarshal(nil, &m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestOpenRejectsBody seals bodies that break the schema with the right key,
// so they pass every check up to the body parse.
func TestOpenRejectsBody(t *testing.T) {
	const (
		offTime, offCounter, offQuery, offAddrLen = 16, 24, 32, 50
	)
	set := func(b []byte, off int, v ...byte) []byte { copy(b[off:], v); return b }
	u64 := func(v uint64) []byte { return binary.BigEndian.AppendUint64(nil, v) }
	withName := func(b []byte, lenByte byte, name string) []byte {
		return append(append(b[:len(b)-1], lenByte), name...)
	}
	withAddr := func(b []byte, n byte, addr ...byte) []byte {
		return append(append(append(b[:offAddrLen], n), addr...), 0)
	}
	cases := []struct {
		name   string
		typ    wire.Type
		body   func(b []byte) []byte
		detail string
	}{
		{"trailing byte", wire.TypeAnnounce, func(b []byte) []byte { return append(b, 0) }, "length"},
		{"trailing bytes after name", wire.TypeAnnounce, func(b []byte) []byte { return append(withName(b, 2, "ab"), 'c') }, "length"},
		{"zero instance", wire.TypeAnnounce, func(b []byte) []byte { return set(b, 0, make([]byte, 16)...) }, "instance"},
		{"time zero", wire.TypeAnnounce, func(b []byte) []byte { return set(b, offTime, u64(0)...) }, "time"},
		{"time negative", wire.TypeAnnounce, func(b []byte) []byte { return set(b, offTime, u64(1<<63)...) }, "time"},
		{"time -1", wire.TypeAnnounce, func(b []byte) []byte { return set(b, offTime, u64(1<<64-1)...) }, "time"},
		{"counter zero", wire.TypeAnnounce, func(b []byte) []byte { return set(b, offCounter, u64(0)...) }, "counter"},
		{"announce with query id", wire.TypeAnnounce, func(b []byte) []byte { return set(b, offQuery+15, 1) }, "query id"},
		{"leave with query id", wire.TypeLeave, func(b []byte) []byte { return set(b, offQuery, 1) }, "query id"},
		{"query without query id", wire.TypeQuery, func(b []byte) []byte { return b }, "query id"},
		{"answer without query id", wire.TypeAnswer, func(b []byte) []byte { return b }, "query id"},
		{"addr len 1", wire.TypeAnnounce, func(b []byte) []byte { return withAddr(b, 1, 1) }, "address length"},
		{"addr len 5", wire.TypeAnnounce, func(b []byte) []byte { return withAddr(b, 5, 1, 2, 3, 4, 5) }, "address length"},
		{"addr len 6", wire.TypeAnnounce, func(b []byte) []byte { return withAddr(b, 6, 1, 2, 3, 4, 5, 6) }, "address length"},
		{"addr len 255", wire.TypeAnnounce, func(b []byte) []byte { return withAddr(b, 255, make([]byte, 20)...) }, "address length"},
		{"addr len 16, 4 bytes", wire.TypeAnnounce, func(b []byte) []byte { return append(b[:offAddrLen], 16, 1, 2, 3, 4) }, "length"},
		{"addr len 4, 2 bytes", wire.TypeAnnounce, func(b []byte) []byte { return append(b[:offAddrLen], 4, 1, 2) }, "length"},
		{"addr len 4, no name len", wire.TypeAnnounce, func(b []byte) []byte { return append(b[:offAddrLen], 4, 1, 2, 3, 4) }, "length"},
		{"addr 0.0.0.0", wire.TypeAnnounce, func(b []byte) []byte { return withAddr(b, 4, 0, 0, 0, 0) }, "unspecified"},
		{"addr ::", wire.TypeAnnounce, func(b []byte) []byte { return withAddr(b, 16, make([]byte, 16)...) }, "unspecified"},
		{"addr ::ffff:1.2.3.4", wire.TypeAnnounce, func(b []byte) []byte {
			return withAddr(b, 16, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 1, 2, 3, 4)
		}, "IPv4-mapped"},
		{"name len 65", wire.TypeAnnounce, func(b []byte) []byte { return withName(b, 65, strings.Repeat("x", 65)) }, "longer than 64"},
		{"name len 255", wire.TypeAnnounce, func(b []byte) []byte { return withName(b, 255, strings.Repeat("x", 70)) }, "longer than 64"},
		{"name len 5, 4 bytes", wire.TypeAnnounce, func(b []byte) []byte { return withName(b, 5, "abcd") }, "length"},
		{"name len 3, 4 bytes", wire.TypeAnnounce, func(b []byte) []byte { return withName(b, 3, "abcd") }, "length"},
		{"name invalid utf-8", wire.TypeAnnounce, func(b []byte) []byte { return withName(b, 3, "a\xffb") }, "printable"},
		{"name truncated rune", wire.TypeAnnounce, func(b []byte) []byte { return withName(b, 2, "\xe3\x83") }, "printable"},
		{"name control", wire.TypeAnnounce, func(b []byte) []byte { return withName(b, 2, "a\x01") }, "printable"},
		{"name newline", wire.TypeAnnounce, func(b []byte) []byte { return withName(b, 2, "a\n") }, "printable"},
		{"name del", wire.TypeAnnounce, func(b []byte) []byte { return withName(b, 1, "\x7f") }, "printable"},
		{"name nul", wire.TypeAnnounce, func(b []byte) []byte { return withName(b, 1, "\x00") }, "printable"},
		{"name bidi override", wire.TypeAnnounce, func(b []byte) []byte { return withName(b, 3, "\u202e") }, "printable"},
		{"name overlong encoding", wire.TypeAnnounce, func(b []byte) []byte { return withName(b, 2, "\xc0\xaf") }, "printable"},
		{"name surrogate", wire.TypeAnnounce, func(b []byte) []byte { return withName(b, 3, "\xed\xa0\x80") }, "printable"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			body := tc.body(validBody(t))
			d := specSealed(t, tc.typ, body)
			m := sentinel
			err := wire.Open(testRing, d, &m)
			if !errors.Is(err, wire.ErrBody) {
				t.Fatalf("Open(body %x) = %v, want %v", body, err, wire.ErrBody)
			}
			if wire.DropReason(err) != "body" {
				t.Errorf("DropReason(%v) = %q", err, wire.DropReason(err))
			}
			if !strings.Contains(err.Error(), tc.detail) {
				t.Errorf("error %q does not say %q", err, tc.detail)
			}
			if m != sentinel {
				t.Errorf("Open changed the message on error: %+v", m)
			}
		})
	}
	// The unmodified body opens: the cases above fail for their mutation only.
	var m wire.Message
	if err := wire.Open(testRing, specSealed(t, wire.TypeAnnounce, validBody(t)), &m); err != nil {
		t.Fatalf("the valid body does not open: %v", err)
	}
}

// TestMarshalRejects checks that AppendMarshal and AppendSeal refuse what
// Open would refuse, naming the field, and leave dst unchanged.
func TestMarshalRejects(t *testing.T) {
	base := sampleMessages()["announce full"]
	with := func(f func(m *wire.Message)) wire.Message { m := base; f(&m); return m }
	cases := []struct {
		name   string
		m      wire.Message
		detail string
	}{
		{"type 0", with(func(m *wire.Message) { m.Type = 0 }), "invalid message type 0"},
		{"type 5", with(func(m *wire.Message) { m.Type = 5 }), "invalid message type 5"},
		{"zero instance", with(func(m *wire.Message) { m.Instance = wire.InstanceID{} }), "invalid instance id"},
		{"zero time", with(func(m *wire.Message) { m.Time = time.Time{} }), "invalid time"},
		{"epoch", with(func(m *wire.Message) { m.Time = time.UnixMilli(0) }), "invalid time"},
		{"before epoch", with(func(m *wire.Message) { m.Time = time.UnixMilli(-5) }), "invalid time"},
		{"under a millisecond after the epoch", with(func(m *wire.Message) { m.Time = time.Unix(0, 999_999) }), "invalid time"},
		{"time beyond int64 milliseconds", with(func(m *wire.Message) { m.Time = time.UnixMilli(math.MaxInt64).Add(time.Millisecond) }), "invalid time"},
		{"zero counter", with(func(m *wire.Message) { m.Counter = 0 }), "invalid counter 0"},
		{"announce with query id", with(func(m *wire.Message) { m.Query = id16(1) }), "must be zero"},
		{"query without query id", with(func(m *wire.Message) { m.Type = wire.TypeQuery }), "must not be zero"},
		{"answer without query id", with(func(m *wire.Message) { m.Type = wire.TypeAnswer }), "must not be zero"},
		{"addr 0.0.0.0", with(func(m *wire.Message) { m.Addr = netip.IPv4Unspecified() }), "invalid address"},
		{"addr ::", with(func(m *wire.Message) { m.Addr = netip.IPv6Unspecified() }), "invalid address"},
		{"addr 4in6", with(func(m *wire.Message) { m.Addr = netip.MustParseAddr("::ffff:1.2.3.4") }), "invalid address"},
		{"addr with zone", with(func(m *wire.Message) { m.Addr = netip.MustParseAddr("fe80::1%eth0") }), "invalid address"},
		{"name too long", with(func(m *wire.Message) { m.Name = strings.Repeat("x", 65) }), "at most 64 bytes"},
		{"name not printable", with(func(m *wire.Message) { m.Name = "a\tb" }), "printable"},
		{"name invalid utf-8", with(func(m *wire.Message) { m.Name = "\xff" }), "printable"},
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

type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, errors.New("entropy exhausted") }

func TestAppendSealRandomError(t *testing.T) {
	m := sampleMessages()["query"]
	got, err := wire.AppendSeal([]byte("dst"), testRing, &m, failingReader{})
	if err == nil || !strings.Contains(err.Error(), "entropy exhausted") {
		t.Errorf("AppendSeal: %v, want the reader's error", err)
	}
	if string(got) != "dst" {
		t.Errorf("AppendSeal changed dst: %q", got)
	}
}

func TestDropReason(t *testing.T) {
	cases := []struct {
		err  error
		want string
	}{
		{nil, ""},
		{wire.ErrShort, "short"},
		{wire.ErrMagic, "magic"},
		{wire.ErrVersion, "version"},
		{wire.ErrType, "type"},
		{wire.ErrTooLarge, "too_large"},
		{wire.ErrUnknownKey, "unknown_key"},
		{wire.ErrAuth, "auth"},
		{wire.ErrBody, "body"},
		{fmt.Errorf("from 1.2.3.4: %w", wire.ErrAuth), "auth"},
		{errors.New("something else"), "other"},
	}
	for _, tc := range cases {
		if got := wire.DropReason(tc.err); got != tc.want {
			t.Errorf("DropReason(%v) = %q, want %q", tc.err, got, tc.want)
		}
	}
	reasons := wire.DropReasons()
	want := []string{"short", "magic", "version", "type", "too_large", "unknown_key", "auth", "body"}
	if !slices.Equal(reasons, want) {
		t.Errorf("DropReasons() = %q, want %q", reasons, want)
	}
	reasons[0] = "changed"
	if wire.DropReasons()[0] != "short" {
		t.Errorf("DropReasons shares its slice")
	}
	for _, err := range []error{wire.ErrShort, wire.ErrMagic, wire.ErrVersion, wire.ErrType, wire.ErrTooLarge, wire.ErrUnknownKey, wire.ErrAuth, wire.ErrBody} {
		if !strings.HasPrefix(err.Error(), "wire: ") {
			t.Errorf("error %q lacks the wire: prefix", err)
		}
	}
}
