package mcgossip

import (
	"testing"

	"github.com/mcgossip/go-discover-mcgossip/provider/mcgossip/wire"
)

// TestDropReasons: every reason of the codec maps to the drop reason of
// the same name, every reason has a distinct name, a level and an
// explanation, and Stats.Dropped has every reason but none.
func TestDropReasons(t *testing.T) {
	for _, r := range wire.Reasons() {
		if d := fromWire[r]; d.String() != r.String() || drops[d].wire != r {
			t.Errorf("wire reason %v maps to %v", r, d)
		}
	}
	if d := fromWire[200]; d != dropOther {
		t.Errorf("an unknown wire reason maps to %v, want other", d)
	}
	names := map[string]bool{}
	for r := range numDrops {
		d := drops[r]
		if d.name == "" || names[d.name] || (d.level != levelDebug && d.level != levelInfo && d.level != levelWarn) || d.why == "" {
			t.Errorf("drop reason %d: %+v (a name used twice, or something missing)", r, d)
		}
		names[d.name] = true
	}
	var c counters
	s := c.stats(0)
	if len(s.Dropped) != int(numDrops)-1 {
		t.Errorf("Stats.Dropped has %d reasons, want %d", len(s.Dropped), numDrops-1)
	}
	if _, ok := s.Dropped["none"]; ok {
		t.Error(`Stats.Dropped has "none"`)
	}
}
