package mcgossip

import (
	"math"
	"time"

	"github.com/mcgossip/go-discover-mcgossip/provider/mcgossip/wire"
)

// How a new engine enters a group: a burst of announces so that peers
// learn of it quickly, the first announce held back while the lookup it
// was started for runs, and a first second in which its answers count
// only itself while its own table fills.
const (
	// maxAnnounceHold is the longest an engine started for a lookup
	// (Config.lookupFirst) waits for it to end before announcing. Its
	// announce makes every member verify it (a unicast query each, and
	// its answer): at N = 1000, 2000 more datagrams in the middle of the
	// lookup, and members that count it once it answered, so the lookup
	// could no longer end on their counts. A lookup ends well within it
	// (a few hundred milliseconds at N = 2000 in the benchmark's lab) unless
	// nobody answers.
	maxAnnounceHold = time.Second
	// settleTime is how long after its start an engine's answers count
	// only itself (Members 1): before then its table may lack members
	// it has not heard yet, and a querier whose every answer counted the
	// same short number would take it for the group and end its lookup
	// without the members whose answers are a few milliseconds late (in
	// a group that starts together, as servers do, every count is short
	// at once). A count of 1 never ends a lookup (rounds.go). The
	// start-up's background query, 100-200 ms after the start, has filled
	// the table well within it (a few hundred milliseconds at N = 2000 in
	// the benchmark's lab); a lookup that ends before it settles the
	// engine at once, its answers having filled the table.
	settleTime = time.Second
)

// burstOffsets are the delays of the start-up announces after the first:
// three announces within half a second, so peers learn of a new engine
// quickly even with some loss.
var burstOffsets = [...][2]time.Duration{{100 * time.Millisecond, 200 * time.Millisecond}, {300 * time.Millisecond, 500 * time.Millisecond}}

// settle makes the engine's answers count its table's members from now
// on: a lookup of its own has ended.
func (e *Engine) settle(now time.Time) {
	for {
		at := e.settled.Load()
		if at <= now.UnixNano() || e.settled.CompareAndSwap(at, now.UnixNano()) {
			return
		}
	}
}

// members is the number of live members an answer to querier sent at now
// reports: once the engine is settled, its peers but the querier (an
// announcing querier is one of them, and does not answer itself) and the
// engine itself; before, 1.
func (e *Engine) members(now time.Time, querier wire.InstanceID) uint32 {
	if now.UnixNano() < e.settled.Load() {
		return 1
	}
	return uint32(min(e.table.lenWithout(querier)+1, math.MaxUint32))
}

// releaseAnnounce ends the hold of the first announce, if any.
func (e *Engine) releaseAnnounce() {
	if e.hold != nil {
		e.holdOnce.Do(func() { close(e.hold) })
	}
}
