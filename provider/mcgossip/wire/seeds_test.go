package wire_test

import (
	"bytes"
	"encoding/binary"
	"flag"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mcgossip/go-discover-mcgossip/provider/mcgossip/wire"
)

var updateSeeds = flag.Bool("update-seeds", false, "rewrite the fuzz seed corpora in testdata/fuzz")

// TestSeedCorpus checks that the seed corpora in testdata/fuzz hold the
// seeds built here from the sample messages, hand-made bodies and the
// libcluster recordings; run it with -update-seeds to rewrite them.
func TestSeedCorpus(t *testing.T) {
	seeds := map[string]string{}
	for name, d := range openSeeds(t) {
		seeds[filepath.Join("FuzzOpen", name)] = corpusFile(d)
	}
	for name, vals := range roundTripSeeds(t) {
		seeds[filepath.Join("FuzzRoundTrip", name)] = corpusFile(vals...)
	}
	for name, want := range seeds {
		path := filepath.Join("testdata", "fuzz", name)
		if *updateSeeds {
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, []byte(want), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		got, err := os.ReadFile(path)
		if err != nil || string(got) != want {
			t.Errorf("%s is missing or stale (%v): run go test -run TestSeedCorpus -update-seeds", path, err)
		}
	}
}

// corpusFile encodes values in the fuzzing engine's corpus format.
func corpusFile(vals ...any) string {
	var b strings.Builder
	b.WriteString("go test fuzz v1\n")
	for _, v := range vals {
		switch v := v.(type) {
		case []byte:
			fmt.Fprintf(&b, "[]byte(%q)\n", v)
		case string:
			fmt.Fprintf(&b, "string(%q)\n", v)
		default:
			fmt.Fprintf(&b, "%T(%d)\n", v, v)
		}
	}
	return b.String()
}

// openSeeds are the FuzzOpen seeds: datagrams, and a type byte followed by a
// body for the fuzzer's second use of its input.
func openSeeds(t *testing.T) map[string][]byte {
	seeds := map[string][]byte{}
	for name, m := range sampleMessages(t) {
		name = strings.ReplaceAll(name, " ", "-")
		seeds["sealed-"+name] = sealed(t, m)
		body, err := wire.AppendMarshal(nil, &m)
		if err != nil {
			t.Fatal(err)
		}
		seeds["body-"+name] = append([]byte{byte(m.Type)}, body...)
	}
	bodies := map[string]struct {
		typ  wire.Type
		body []byte
	}{
		"unknown-noncritical": {answer, bodyWith(answer, map[byte][]byte{0x00: {1}, 0x0a: {2, 3}, 0x7f: {}})},
		"unknown-critical":    {query, bodyWith(query, map[byte][]byte{0x80: {1}})},
		"descending":          {announce, append(core(announce), append(fld(tagInterval, 0, 0, 3, 0xe8), fld(tagEndpoint4, 1, 2, 3, 4, 0, 1)...)...)},
		"trailing":            {leave, append(core(leave), 0x0a, 0)},
		"advertise-4in6":      {answer, bodyWith(answer, map[byte][]byte{tagAdvertise: netipBytes("::ffff:1.2.3.4")})},
		"name-invalid":        {answer, bodyWith(answer, map[byte][]byte{tagName: []byte("a\xff")})},
		"seen-bad-size":       {query, bodyWith(query, map[byte][]byte{tagSeen: {3, 0, 0, 0}})},
		"no-interval":         {announce, bodyWith(announce, map[byte][]byte{tagInterval: nil})},
		"port-in-query":       {query, bodyWith(query, map[byte][]byte{tagPort: {1, 1}})},
	}
	for name, b := range bodies {
		seeds["body-"+name] = append([]byte{byte(b.typ)}, b.body...)
	}
	seeds["v1-announce"] = mustHex(t, "6d63670101008b9e529a000102030405060708090a0b0c0d0e0f101112131415161766883f3012afb58d88ea3dbd253f90e6fa297bc3592158f31da76f22b56c3980324ab9a5444255b979a46342047d3f3451b9ca077be2fa7e88b0ff90343112729425fb2f591f8cfb0ff81eb83db4")
	for _, f := range []string{"libcluster-3.5.0-plain", "libcluster-3.5.0-secret"} {
		for i, d := range readRecords(t, filepath.Join("testdata", f+".bin"))[:2] {
			seeds[fmt.Sprintf("%s-%d", f, i)] = d
		}
	}
	return seeds
}

// roundTripSeeds are the FuzzRoundTrip seeds: the sample messages as its
// arguments, and a few it must refuse.
func roundTripSeeds(t *testing.T) map[string][]any {
	ap := func(a netip.AddrPort) []byte {
		if !a.IsValid() {
			return []byte{}
		}
		return binary.BigEndian.AppendUint16(a.Addr().AsSlice(), a.Port())
	}
	args := func(m wire.Message, seenIDs ...wire.InstanceID) []any {
		var seenLog uint8
		for bits := m.Seen.Bits(); bits > 1; bits >>= 1 {
			seenLog++
		}
		var ids []byte
		for _, id := range seenIDs {
			ids = append(ids, id[:]...)
		}
		adv := m.Advertise.AsSlice()
		if adv == nil {
			adv = []byte{}
		}
		return []any{uint8(m.Type), m.Instance[:], m.Time.UnixMilli(), m.Counter, m.Query[:],
			ap(m.Endpoint4), ap(m.Endpoint6), adv, m.Port, m.Name, int64(m.Interval), int64(m.Window),
			m.Members, seenLog, uint8(m.Seen.Hashes()), bytes.Clone(ids)}
	}
	seeds := map[string][]any{}
	msgs := sampleMessages(t)
	for name, m := range msgs {
		var ids []wire.InstanceID
		if name == "query seen" {
			ids = []wire.InstanceID{id16(1), id16(0x40)}
		}
		seeds[strings.ReplaceAll(name, " ", "-")] = args(m, ids...)
	}
	bad := msgs["answer"]
	bad.Advertise = netip.MustParseAddr("::ffff:1.2.3.4")
	seeds["invalid-4in6"] = args(bad)
	bad = msgs["announce minimal"]
	bad.Time = time.UnixMilli(0)
	seeds["invalid-time"] = args(bad)
	bad = msgs["query"]
	bad.Interval = time.Second
	seeds["invalid-interval-in-query"] = args(bad)
	return seeds
}
