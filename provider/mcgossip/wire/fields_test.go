package wire_test

import (
	"bytes"
	"errors"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/mcgossip/go-discover-mcgossip/provider/mcgossip/wire"
)

// Field tags and values written from the package doc, independently of the
// package.
const (
	tagEndpoint4 = 0x01
	tagEndpoint6 = 0x02
	tagAdvertise = 0x03
	tagPort      = 0x04
	tagName      = 0x05
	tagInterval  = 0x06
	tagWindow    = 0x07
	tagMembers   = 0x08
	tagSeen      = 0x09
)

var (
	announce, query, answer, leave = wire.TypeAnnounce, wire.TypeQuery, wire.TypeAnswer, wire.TypeLeave
	allTypes                       = []wire.Type{announce, query, answer, leave}
)

// knownFields lists each tag with a valid value and the types that may carry
// it, as the package doc's field table says.
var knownFields = []struct {
	tag   byte
	name  string
	value []byte
	in    []wire.Type
}{
	{tagEndpoint4, "endpoint4", []byte{198, 18, 0, 1, 0x1f, 0x0a}, []wire.Type{announce, query, answer}},
	{tagEndpoint6, "endpoint6", append(netipBytes("2001:db8::1"), 0x1f, 0x0a), []wire.Type{announce, query, answer}},
	{tagAdvertise, "advertise", []byte{203, 0, 113, 7}, []wire.Type{announce, answer}},
	{tagPort, "port", []byte{0x20, 0x6d}, []wire.Type{announce, answer}},
	{tagName, "name", []byte("node"), []wire.Type{announce, answer}},
	{tagInterval, "interval", []byte{0, 0, 0x03, 0xe8}, []wire.Type{announce, answer}},
	{tagWindow, "window", []byte{0, 1, 0x86, 0xa0}, []wire.Type{query, answer}},
	{tagMembers, "members", []byte{0, 0, 0, 3}, []wire.Type{announce, answer}},
	{tagSeen, "seen", append([]byte{3}, make([]byte, 8)...), []wire.Type{query}},
}

// fld encodes one field: tag, 2-byte big-endian length, value.
func fld(tag byte, v ...byte) []byte {
	return append([]byte{tag, byte(len(v) >> 8), byte(len(v))}, v...)
}

// requiredFields returns the fields each type must carry, by tag.
func requiredFields(typ wire.Type) map[byte][]byte {
	ep4 := knownFields[0].value
	switch typ {
	case announce:
		return map[byte][]byte{tagEndpoint4: ep4, tagInterval: {0, 0, 0x03, 0xe8}}
	case query:
		return map[byte][]byte{tagEndpoint4: ep4}
	case answer:
		return map[byte][]byte{tagEndpoint4: ep4, tagInterval: {0, 0, 0x03, 0xe8}, tagMembers: {0, 0, 0, 3}}
	}
	return map[byte][]byte{}
}

// emit encodes fields in ascending tag order; a nil value is left out.
func emit(fs map[byte][]byte) []byte {
	var b []byte
	for tag := range 256 {
		if v, ok := fs[byte(tag)]; ok && v != nil {
			b = append(b, fld(byte(tag), v...)...)
		}
	}
	return b
}

// validFields is the encoding of the fields typ needs.
func validFields(typ wire.Type) []byte { return emit(requiredFields(typ)) }

// bodyWith is a body of typ with its required fields changed by set (a nil
// value removes a field).
func bodyWith(typ wire.Type, set map[byte][]byte) []byte {
	fs := requiredFields(typ)
	for tag, v := range set {
		fs[tag] = v
	}
	return append(core(typ), emit(fs)...)
}

// rejectBody seals body as typ and checks that Open drops it with want and an
// error that says detail.
func rejectBody(t *testing.T, typ wire.Type, body []byte, want error, detail string) {
	t.Helper()
	err := mustReject(t, testRing, specSealed(t, typ, body), want)
	if !strings.Contains(err.Error(), detail) {
		t.Errorf("Open(%v body %x) = %q, want it to say %q", typ, body, err, detail)
	}
}

// openBody seals body as typ and opens it.
func openBody(t *testing.T, typ wire.Type, body []byte) wire.Message {
	t.Helper()
	var m wire.Message
	if err := wire.Open(testRing, specSealed(t, typ, body), &m); err != nil {
		t.Fatalf("Open(%v body %x): %v", typ, body, err)
	}
	return m
}

// TestFieldsAllowed opens each known field in each type that may carry it
// and rejects it in every other type.
func TestFieldsAllowed(t *testing.T) {
	for _, f := range knownFields {
		for _, typ := range allTypes {
			t.Run(f.name+" in "+typ.String(), func(t *testing.T) {
				body := bodyWith(typ, map[byte][]byte{f.tag: f.value})
				if slices.Contains(f.in, typ) {
					openBody(t, typ, body)
					return
				}
				rejectBody(t, typ, body, wire.ErrBody, f.name+" is not allowed in "+typ.String())
			})
		}
	}
}

// TestFieldsRejectLength gives each known field every wrong length around
// the right ones.
func TestFieldsRejectLength(t *testing.T) {
	for _, f := range knownFields {
		var good []int
		switch f.tag {
		case tagAdvertise:
			good = []int{4, 16}
		case tagName:
			for n := 1; n <= 64; n++ {
				good = append(good, n)
			}
		case tagSeen:
			for n := 1; n <= 1024; n *= 2 {
				good = append(good, 1+n)
			}
		default:
			good = []int{len(f.value)}
		}
		for n := range 1100 {
			if n > 70 && f.tag != tagSeen {
				break
			}
			typ := f.in[0]
			v := bytes.Repeat([]byte{'a'}, n) // printable, nonzero, a valid hash count
			if n > 0 && f.tag == tagSeen {
				v[0] = 3
			}
			body := bodyWith(typ, map[byte][]byte{f.tag: v})
			if slices.Contains(good, n) {
				openBody(t, typ, body)
				continue
			}
			t.Run(f.name+" of "+strconv.Itoa(n)+" bytes", func(t *testing.T) {
				rejectBody(t, typ, body, wire.ErrBody, f.name+" must be ")
			})
		}
	}
}

// netipBytes is the 4- or 16-byte form of an address.
func netipBytes(s string) []byte { return netip.MustParseAddr(s).AsSlice() }

// TestFieldsRejectValue gives each known field values of the right length
// that the package doc forbids.
func TestFieldsRejectValue(t *testing.T) {
	port := []byte{0x1f, 0x0a}
	v4 := func(a string, p ...byte) []byte { return append(netipBytes(a), p...) }
	cases := []struct {
		name   string
		tag    byte
		typ    wire.Type
		value  []byte
		detail string
	}{
		{"endpoint4 0.0.0.0", tagEndpoint4, query, v4("0.0.0.0", port...), "endpoint4 address is unspecified"},
		{"endpoint4 multicast", tagEndpoint4, query, v4("224.0.0.251", port...), "endpoint4 address"},
		{"endpoint4 group", tagEndpoint4, query, v4("239.255.255.250", port...), "endpoint4 address"},
		{"endpoint4 broadcast", tagEndpoint4, query, v4("255.255.255.255", port...), "endpoint4 address"},
		{"endpoint4 port 0", tagEndpoint4, query, v4("198.18.0.1", 0, 0), "port is 0"},
		{"endpoint6 ::", tagEndpoint6, query, v4("::", port...), "endpoint6 address is unspecified"},
		{"endpoint6 multicast", tagEndpoint6, query, v4("ff02::fb", port...), "endpoint6 address"},
		{"endpoint6 IPv4-mapped", tagEndpoint6, query, v4("::ffff:198.18.0.1", port...), "IPv4-mapped"},
		{"endpoint6 port 0", tagEndpoint6, query, v4("2001:db8::1", 0, 0), "port is 0"},
		{"advertise 0.0.0.0", tagAdvertise, answer, v4("0.0.0.0"), "advertise address"},
		{"advertise ::", tagAdvertise, answer, v4("::"), "advertise address"},
		{"advertise multicast v4", tagAdvertise, answer, v4("239.1.1.1"), "advertise address"},
		{"advertise multicast v6", tagAdvertise, answer, v4("ff05::2"), "advertise address"},
		{"advertise broadcast", tagAdvertise, answer, v4("255.255.255.255"), "advertise address"},
		{"advertise IPv4-mapped", tagAdvertise, answer, v4("::ffff:1.2.3.4"), "advertise address"},
		{"port 0", tagPort, answer, []byte{0, 0}, "port is 0"},
		{"name invalid utf-8", tagName, answer, []byte("a\xffb"), "name is not printable"},
		{"name truncated rune", tagName, answer, []byte("\xe3\x83"), "name is not printable"},
		{"name control", tagName, answer, []byte("a\x01"), "name is not printable"},
		{"name newline", tagName, answer, []byte("a\n"), "name is not printable"},
		{"name del", tagName, answer, []byte("\x7f"), "name is not printable"},
		{"name nul", tagName, answer, []byte("\x00"), "name is not printable"},
		{"name bidi override", tagName, answer, []byte("\u202e"), "name is not printable"},
		{"name overlong encoding", tagName, answer, []byte("\xc0\xaf"), "name is not printable"},
		{"name surrogate", tagName, answer, []byte("\xed\xa0\x80"), "name is not printable"},
		{"name replacement character", tagName, answer, []byte("\ufffd"), "name is not printable"},
		{"interval 0", tagInterval, answer, []byte{0, 0, 0, 0}, "interval is under 100 ms"},
		{"interval 99 ms", tagInterval, answer, []byte{0, 0, 0, 99}, "interval is under 100 ms"},
		{"window 0", tagWindow, query, []byte{0, 0, 0, 0}, "window is 0"},
		{"members 0", tagMembers, answer, []byte{0, 0, 0, 0}, "members is 0"},
		{"seen 0 hashes", tagSeen, query, append([]byte{0}, make([]byte, 8)...), "seen hash count"},
		{"seen 17 hashes", tagSeen, query, append([]byte{17}, make([]byte, 8)...), "seen hash count"},
		{"seen 255 hashes", tagSeen, query, append([]byte{255}, make([]byte, 1024)...), "seen hash count"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rejectBody(t, tc.typ, bodyWith(tc.typ, map[byte][]byte{tc.tag: tc.value}), wire.ErrBody, tc.detail)
		})
	}
	// The edges that are allowed.
	for _, ok := range []struct {
		tag   byte
		typ   wire.Type
		value []byte
	}{
		{tagEndpoint4, query, v4("127.0.0.1", 0, 1)},
		{tagEndpoint4, query, v4("198.18.255.255", 0xff, 0xff)},
		{tagEndpoint6, query, v4("fe80::1", port...)},
		{tagEndpoint6, query, v4("::1", port...)},
		{tagAdvertise, answer, v4("2001:db8::1")},
		{tagInterval, answer, []byte{0, 0, 0, 100}},
		{tagWindow, query, []byte{0, 0, 0, 1}},
		{tagMembers, answer, []byte{0, 0, 0, 1}},
		{tagSeen, query, append([]byte{1}, make([]byte, 1)...)},
		{tagSeen, query, append([]byte{16}, make([]byte, 1024)...)},
	} {
		openBody(t, ok.typ, bodyWith(ok.typ, map[byte][]byte{ok.tag: ok.value}))
	}
}

// TestFieldsRejectFraming checks the order of tags and that a body ends
// exactly at the end of its last field.
func TestFieldsRejectFraming(t *testing.T) {
	ep4 := fld(tagEndpoint4, knownFields[0].value...)
	interval := fld(tagInterval, 0, 0, 0x03, 0xe8)
	c := core(announce)
	cat := func(parts ...[]byte) []byte { return slices.Concat(append([][]byte{c}, parts...)...) }
	cases := []struct {
		name   string
		body   []byte
		detail string
	}{
		{"duplicate endpoint4", cat(ep4, ep4, interval), "not strictly ascending"},
		{"duplicate interval", cat(ep4, interval, interval), "not strictly ascending"},
		{"descending", cat(interval, ep4), "not strictly ascending"},
		{"duplicate unknown tag", cat(ep4, interval, fld(0x0a), fld(0x0a)), "not strictly ascending"},
		{"unknown tag out of order", cat(ep4, fld(0x0a), interval), "not strictly ascending"},
		{"one trailing byte", cat(ep4, interval, []byte{0}), "trailing bytes"},
		{"two trailing bytes", cat(ep4, interval, []byte{0x0a, 0}), "trailing bytes"},
		{"a field header with no value", cat(ep4, interval, []byte{0x0a, 0, 1}), "longer than the rest"},
		{"last field one byte short", cat(ep4, interval[:len(interval)-1]), "longer than the rest"},
		{"length 0xffff", cat(ep4, interval, []byte{0x0a, 0xff, 0xff, 1, 2, 3}), "longer than the rest"},
		{"known field with a length past the end", cat(ep4, []byte{tagInterval, 0, 5, 0, 0, 3, 0xe8}), "longer than the rest"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rejectBody(t, announce, tc.body, wire.ErrBody, tc.detail)
		})
	}
}

// TestFieldsRequired drops each type without each field it needs.
func TestFieldsRequired(t *testing.T) {
	ep6 := knownFields[1].value
	cases := []struct {
		typ    wire.Type
		set    map[byte][]byte
		detail string
	}{
		{announce, map[byte][]byte{tagEndpoint4: nil}, "no endpoint4 or endpoint6"},
		{announce, map[byte][]byte{tagInterval: nil}, "no interval"},
		{query, map[byte][]byte{tagEndpoint4: nil}, "no endpoint4 or endpoint6"},
		{query, map[byte][]byte{tagEndpoint4: nil, tagWindow: {0, 0, 0, 1}}, "no endpoint4 or endpoint6"},
		{answer, map[byte][]byte{tagEndpoint4: nil}, "no endpoint4 or endpoint6"},
		{answer, map[byte][]byte{tagEndpoint4: nil, tagAdvertise: {203, 0, 113, 7}}, "no endpoint4 or endpoint6"},
		{answer, map[byte][]byte{tagInterval: nil}, "no interval"},
		{answer, map[byte][]byte{tagMembers: nil}, "no members"},
	}
	for _, tc := range cases {
		t.Run(tc.typ.String()+" "+tc.detail, func(t *testing.T) {
			rejectBody(t, tc.typ, bodyWith(tc.typ, tc.set), wire.ErrBody, tc.detail)
		})
	}
	// Either endpoint, or both, will do.
	for _, typ := range []wire.Type{announce, query, answer} {
		openBody(t, typ, bodyWith(typ, map[byte][]byte{tagEndpoint4: nil, tagEndpoint6: ep6}))
		openBody(t, typ, bodyWith(typ, map[byte][]byte{tagEndpoint6: ep6}))
	}
	// A leave needs nothing but its core.
	if m := openBody(t, leave, core(leave)); m.Type != leave {
		t.Errorf("leave opened as %v", m.Type)
	}
}

// TestFieldsUnknown checks how the format grows: an unknown tag without the
// critical bit 0x80 is skipped and the rest of the body is still checked; an
// unknown critical tag drops the datagram as ErrVersion.
func TestFieldsUnknown(t *testing.T) {
	big := bytes.Repeat([]byte{0xee}, 300)
	t.Run("non-critical skipped", func(t *testing.T) {
		for name, extra := range map[string]map[byte][]byte{
			"tag 0x00 first":                 {0x00: {1, 2, 3}},
			"tag 0x0a empty":                 {0x0a: {}},
			"tag 0x0a, 0x40 and 0x7f":        {0x0a: {1}, 0x40: big, 0x7f: {0}},
			"a known tag's value under 0x7f": {0x7f: knownFields[0].value},
		} {
			for _, typ := range allTypes {
				plain := openBody(t, typ, bodyWith(typ, nil))
				got := openBody(t, typ, bodyWith(typ, extra))
				if !equalMessage(t, got, plain) {
					t.Errorf("%s in %v: opened %+v, without it %+v", name, typ, got, plain)
				}
			}
		}
	})
	t.Run("non-critical fills the datagram", func(t *testing.T) {
		body := bodyWith(answer, nil)
		body = append(body, fld(0x7f, make([]byte, wire.MaxDatagram-wire.Overhead-len(body)-3)...)...)
		d := specSealed(t, answer, body)
		if len(d) != wire.MaxDatagram {
			t.Fatalf("built %d bytes, want %d", len(d), wire.MaxDatagram)
		}
		openBody(t, answer, body)
	})
	t.Run("rest still checked", func(t *testing.T) {
		cases := []struct {
			name string
			typ  wire.Type
			body []byte
			want error
			say  string
		}{
			{"bad known field after", query, bodyWith(query, map[byte][]byte{0x00: {9}, tagEndpoint4: {0, 0, 0, 0, 1, 1}}), wire.ErrBody, "endpoint4 address"},
			{"known field in the wrong type after", leave, bodyWith(leave, map[byte][]byte{0x00: {}, tagPort: {1, 1}}), wire.ErrBody, "not allowed in leave"},
			{"required field missing", announce, bodyWith(announce, map[byte][]byte{0x0a: {}, tagInterval: nil}), wire.ErrBody, "no interval"},
			{"trailing bytes after", announce, append(bodyWith(announce, map[byte][]byte{0x0a: {1}}), 0x0b), wire.ErrBody, "trailing bytes"},
			{"overrun after", announce, append(bodyWith(announce, map[byte][]byte{0x0a: {1}}), 0x0b, 0, 9), wire.ErrBody, "longer than the rest"},
			{"critical after", announce, bodyWith(announce, map[byte][]byte{0x0a: {1}, 0x80: {}}), wire.ErrVersion, "critical"},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				rejectBody(t, tc.typ, tc.body, tc.want, tc.say)
			})
		}
	})
	t.Run("critical dropped", func(t *testing.T) {
		for _, tag := range []byte{0x80, 0x81, 0x89, 0x8a, 0xc0, 0xff} {
			for _, typ := range allTypes {
				for _, v := range [][]byte{{}, {1}, big} {
					err := mustReject(t, testRing, specSealed(t, typ, bodyWith(typ, map[byte][]byte{tag: v})), wire.ErrVersion)
					if wire.ReasonOf(err) != wire.ReasonVersion || !strings.Contains(err.Error(), "unknown critical field") {
						t.Errorf("tag %#x in %v: %v (%v)", tag, typ, err, wire.ReasonOf(err))
					}
					if errors.Is(err, wire.ErrBody) {
						t.Errorf("tag %#x: %v is also ErrBody", tag, err)
					}
				}
			}
		}
	})
}
