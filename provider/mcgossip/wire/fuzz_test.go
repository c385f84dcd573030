package wire_test

import (
	"bytes"
	"encoding/binary"
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/mcgossip/go-discover-mcgossip/provider/mcgossip/wire"
)

// FuzzOpen feeds arbitrary bytes to Open in two ways. Seeds are in
// testdata/fuzz/FuzzOpen (see seeds_test.go).
//
//  1. As a datagram: Open never panics and never modifies its input; on
//     error it names a reason and leaves the message unchanged; anything that
//     opens re-marshals to exactly the body the spec AEAD decrypts, without
//     its unknown fields, and seals and opens again to the same message.
//  2. As a type byte and a plaintext body, sealed by the spec with the right
//     key, so that the fuzzer reaches the body parser: the only errors are the
//     size checks, the type check, an unknown critical field and ErrBody, and
//     a body that opens re-marshals to the same bytes without its unknown
//     fields (one encoding per message).
func FuzzOpen(f *testing.F) {
	ring := wire.NewKeyring(testKey, otherKey)
	aead := specAEAD(f, testMaster())
	id := testKey.ID()
	f.Fuzz(func(t *testing.T, data []byte) {
		// 1. the raw datagram
		before := sentinel(t)
		m := cloneMessage(before)
		orig := slices.Clone(data)
		err := wire.Open(ring, data, &m)
		if !bytes.Equal(data, orig) {
			t.Fatalf("Open modified its input")
		}
		if err != nil {
			if wire.ReasonOf(err) == 0 {
				t.Fatalf("Open error %v has no reason", err)
			}
			if !equalMessage(t, m, before) {
				t.Fatalf("Open changed the message on error: %+v", m)
			}
		} else {
			checkReMarshal(t, m, openSpec(t, data))
		}

		// 2. a type byte and a body sealed with the right key
		if len(data) < 1 || len(data) > wire.MaxDatagram {
			return
		}
		typ, body := data[0], data[1:]
		var nonce [24]byte
		d := specSeal(aead, 2, typ, 0, id, nonce, body)
		m = cloneMessage(before)
		err = wire.Open(ring, d, &m)
		switch wire.ReasonOf(err) {
		case 0:
			if m.Type != wire.Type(typ) {
				t.Fatalf("Open gave type %v, header says %d", m.Type, typ)
			}
			checkReMarshal(t, m, body)
		case wire.ReasonShort, wire.ReasonTooLarge, wire.ReasonType, wire.ReasonVersion, wire.ReasonBody:
			if !equalMessage(t, m, before) {
				t.Fatalf("Open changed the message on error: %+v", m)
			}
		default:
			t.Fatalf("Open of a spec-sealed body: %v (reason %v)", err, wire.ReasonOf(err))
		}
	})
}

// knownOnly returns body without its unknown fields (tags other than 1 to
// 9), for a body that opened; it reads the format as the package doc draws it.
func knownOnly(t *testing.T, body []byte) []byte {
	t.Helper()
	out := slices.Clone(body[:48])
	for rest := body[48:]; len(rest) > 0; {
		n := 3 + int(binary.BigEndian.Uint16(rest[1:]))
		if tag := rest[0]; tag >= 1 && tag <= 9 {
			out = append(out, rest[:n]...)
		}
		rest = rest[n:]
	}
	return out
}

// checkReMarshal checks that m, opened from body, marshals to exactly body
// without its unknown fields, and survives a seal and an open unchanged.
func checkReMarshal(t *testing.T, m wire.Message, body []byte) {
	t.Helper()
	got, err := wire.AppendMarshal(nil, &m)
	if err != nil {
		t.Fatalf("an opened message does not marshal: %v: %+v", err, m)
	}
	if want := knownOnly(t, body); !bytes.Equal(got, want) {
		t.Fatalf("re-marshal differs\n got %x\nwant %x", got, want)
	}
	d, err := wire.AppendSeal(nil, testRing, &m, nil)
	if err != nil {
		t.Fatalf("an opened message does not seal: %v", err)
	}
	var again wire.Message
	if err := wire.Open(testRing, d, &again); err != nil {
		t.Fatalf("a re-sealed message does not open: %v", err)
	}
	if !equalMessage(t, again, m) {
		t.Fatalf("re-sealed message differs\n got %+v\nwant %+v", again, m)
	}
}

// addrPort reads an address of 4 or 16 bytes (or any other length, which
// gives the invalid Addr) followed by a 2-byte port; empty is the zero value.
func addrPort(b []byte) netip.AddrPort {
	if len(b) < 2 {
		return netip.AddrPort{}
	}
	a, _ := netip.AddrFromSlice(b[:len(b)-2])
	return netip.AddrPortFrom(a, binary.BigEndian.Uint16(b[len(b)-2:]))
}

// FuzzRoundTrip builds a Message from arbitrary fields: either AppendMarshal
// and AppendSeal both refuse it, or it seals within MaxDatagram, opens to the
// same message (with Interval and Window truncated to the units that
// travel), keeps every id added to its seen filter, and the spec AEAD
// decrypts exactly its marshaled body. Seeds are in testdata/fuzz/FuzzRoundTrip.
func FuzzRoundTrip(f *testing.F) {
	f.Fuzz(func(t *testing.T, typ uint8, instance []byte, ms int64, counter uint64, query []byte,
		ep4, ep6, advertise []byte, port uint16, name string, interval, window int64, members uint32,
		seenLog, seenHashes uint8, seenIDs []byte) {
		m := wire.Message{
			Type:      wire.Type(typ),
			Time:      time.UnixMilli(ms).UTC(),
			Counter:   counter,
			Endpoint4: addrPort(ep4),
			Endpoint6: addrPort(ep6),
			Port:      port,
			Name:      name,
			Interval:  time.Duration(interval),
			Window:    time.Duration(window),
			Members:   members,
		}
		copy(m.Instance[:], instance)
		copy(m.Query[:], query)
		m.Advertise, _ = netip.AddrFromSlice(advertise)
		var ids []wire.InstanceID
		if seenLog != 0 || seenHashes != 0 {
			bits := 1 << (seenLog % 16)
			seen, err := wire.NewSeenFilter(bits, int(seenHashes))
			if valid := bits >= 8 && bits <= wire.MaxSeenBits && seenHashes >= 1 && seenHashes <= wire.MaxSeenHashes; valid != (err == nil) {
				t.Fatalf("NewSeenFilter(%d, %d): %v", bits, seenHashes, err)
			}
			for b := seenIDs; err == nil && len(b) >= 16; b = b[16:] {
				ids = append(ids, wire.InstanceID(b[:16]))
				seen.Add(m.Query, ids[len(ids)-1])
			}
			m.Seen = seen
		}

		body, errMarshal := wire.AppendMarshal(nil, &m)
		d, errSeal := wire.AppendSeal(nil, testRing, &m, nil)
		if (errMarshal == nil) != (errSeal == nil) {
			t.Fatalf("AppendMarshal: %v, but AppendSeal: %v", errMarshal, errSeal)
		}
		if errMarshal != nil {
			return
		}
		if len(d) > wire.MaxDatagram || len(d) != len(body)+wire.Overhead {
			t.Fatalf("sealed %d bytes from a body of %d", len(d), len(body))
		}
		var got wire.Message
		if err := wire.Open(testRing, d, &got); err != nil {
			t.Fatalf("Open of a sealed message: %v\n%+v", err, m)
		}
		want := m
		want.Interval = m.Interval.Truncate(time.Millisecond)
		want.Window = m.Window.Truncate(time.Microsecond)
		if !equalMessage(t, got, want) {
			t.Fatalf("round trip differs\n got %+v\nwant %+v", got, want)
		}
		for _, id := range ids {
			if !got.Seen.Has(got.Query, id) {
				t.Fatalf("the opened filter lost %v", id)
			}
		}
		if spec := openSpec(t, d); !bytes.Equal(spec, body) {
			t.Fatalf("the spec AEAD decrypts %x, AppendMarshal gave %x", spec, body)
		}
	})
}
