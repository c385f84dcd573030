package wire_test

import (
	"bytes"
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/mcgossip/go-discover-mcgossip/provider/mcgossip/wire"
)

// FuzzOpen feeds arbitrary bytes to Open in two ways. Seeds are in
// testdata/fuzz/FuzzOpen (sealed sample messages, typed bodies, libcluster
// datagrams).
//
//  1. As a datagram: Open never panics; on error it names a known reason and
//     leaves the message unchanged; anything that opens re-marshals to exactly
//     the body the spec AEAD decrypts, and seals and opens again to the same
//     message.
//  2. As a type byte and a plaintext body, sealed by the spec with the right
//     key, so that the fuzzer reaches the body parser: the only errors are the
//     size checks, the type check and ErrBody, and a body that opens
//     re-marshals to the same bytes (one encoding per message).
func FuzzOpen(f *testing.F) {
	ring := wire.NewKeyring(testKey, otherKey)
	aead := specAEAD(f, testMaster())
	id := testKey.ID()
	reasons := wire.DropReasons()
	f.Fuzz(func(t *testing.T, data []byte) {
		// 1. the raw datagram
		m := sentinel
		orig := slices.Clone(data)
		err := wire.Open(ring, data, &m)
		if !bytes.Equal(data, orig) {
			t.Fatalf("Open modified its input")
		}
		if err != nil {
			if !slices.Contains(reasons, wire.DropReason(err)) {
				t.Fatalf("Open error %v has reason %q", err, wire.DropReason(err))
			}
			if m != sentinel {
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
		d := specSeal(aead, wire.Version, typ, 0, id, nonce, body)
		m = sentinel
		err = wire.Open(ring, d, &m)
		switch reason := wire.DropReason(err); reason {
		case "":
			if m.Type != wire.Type(typ) {
				t.Fatalf("Open gave type %v, header says %d", m.Type, typ)
			}
			checkReMarshal(t, m, body)
		case "short", "too_large", "type", "body":
			if m != sentinel {
				t.Fatalf("Open changed the message on error: %+v", m)
			}
		default:
			t.Fatalf("Open of a spec-sealed body: %v (reason %q)", err, reason)
		}
	})
}

// checkReMarshal checks that m marshals to exactly body, and survives a seal
// and an open unchanged.
func checkReMarshal(t *testing.T, m wire.Message, body []byte) {
	t.Helper()
	got, err := wire.AppendMarshal(nil, &m)
	if err != nil {
		t.Fatalf("an opened message does not marshal: %v: %+v", err, m)
	}
	if !bytes.Equal(got, body) {
		t.Fatalf("re-marshal differs\n got %x\nwant %x", got, body)
	}
	d, err := wire.AppendSeal(nil, testRing, &m, nil)
	if err != nil {
		t.Fatalf("an opened message does not seal: %v", err)
	}
	var again wire.Message
	if err := wire.Open(testRing, d, &again); err != nil {
		t.Fatalf("a re-sealed message does not open: %v", err)
	}
	if again != m {
		t.Fatalf("re-sealed message differs\n got %+v\nwant %+v", again, m)
	}
}

// FuzzRoundTrip builds a Message from arbitrary fields: either AppendMarshal
// and AppendSeal both refuse it, or it seals, opens to the same message, and
// the spec AEAD decrypts exactly its marshaled body. Seeds are in
// testdata/fuzz/FuzzRoundTrip.
func FuzzRoundTrip(f *testing.F) {
	f.Fuzz(func(t *testing.T, typ uint8, instance []byte, ms int64, counter uint64, query []byte, port uint16, addr []byte, name string) {
		m := wire.Message{
			Type:    wire.Type(typ),
			Time:    time.UnixMilli(ms).UTC(),
			Counter: counter,
			Port:    port,
			Name:    name,
		}
		copy(m.Instance[:], instance)
		copy(m.Query[:], query)
		m.Addr, _ = netip.AddrFromSlice(addr)

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
		if got != m {
			t.Fatalf("round trip differs\n got %+v\nwant %+v", got, m)
		}
		if spec := openSpec(t, d); !bytes.Equal(spec, body) {
			t.Fatalf("the spec AEAD decrypts %x, AppendMarshal gave %x", spec, body)
		}
	})
}
