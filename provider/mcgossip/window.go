package mcgossip

import (
	"time"

	"github.com/mcgossip/go-discover-mcgossip/provider/mcgossip/wire"
)

// The answer window: how long the answers to one query are spread over.
// Every responder answers once per query id, after a random delay within
// the window, so n answers arrive at about n/window a second. The window
// is sized from the number of answers expected:
//
//   - a query may ask for a window (wire field window): a lookup of an
//     engine that knows k peers asks answerWindow(k), a repeated query
//     answerWindow(the members still missing);
//   - a query that asks for none (a cold lookup's first, a background or
//     verification query) gets answerWindow(members) from each responder,
//     members being the live members the responder knows, itself included;
//   - every answer tells the window used and the responder's members, so a
//     cold querier learns both from its first answers.
const (
	// answerSpacing is each expected answer's share of the window: 20 µs,
	// so answers arrive at 50,000 a second at most. Receiving one costs the
	// querier about 6 µs of CPU (the flood section of BENCHMARKS.md: 5.3
	// to 6.3 µs a datagram, most of it recvmmsg and the kernel; opening and
	// the table 0.6 µs), so one core drains them three times as fast as
	// they come and the socket's queue stays short even where the kernel
	// caps the receive buffer (net.core.rmem_max, 208 KiB by default:
	// about 180 answers, or 3.6 ms of stall at that rate). 2000 members
	// answer within 40 ms.
	answerSpacing = 20 * time.Microsecond
	// maxSizedWindow caps a window sized from a member count (50,000
	// members); a window a query asks for is capped at maxAnswerJitter.
	maxSizedWindow = time.Second
	// seenFalsePositive is the false-positive rate the seen filter is
	// sized for: 0.1% of the missing members stay silent for one round
	// (a query of 200 found ids carries 512 bytes of filter). Above about
	// 400 ids the filter is capped at wire.MaxSeenBits and the rate grows:
	// 2% at 1000 ids, 14% at 2000 (wire.SeenRate(8192, 3, 2000)), still
	// cheaper than the 2000 answers a query without a filter brings back.
	seenFalsePositive = 0.001
)

// answerWindow returns the window for n expected answers: n·answerSpacing,
// at least floor (Config.AnswerJitter) and at most maxSizedWindow.
func answerWindow(n int, floor time.Duration) time.Duration {
	w := maxSizedWindow
	if n < int(maxSizedWindow/answerSpacing) {
		w = time.Duration(max(n, 0)) * answerSpacing
	}
	return max(floor, w)
}

// wireWindow returns w as the wire carries it: 0 (no window field) below
// the field's 1 µs resolution.
func wireWindow(w time.Duration) time.Duration {
	if w < time.Microsecond {
		return 0
	}
	return w
}

// seenFilter returns a filter of the given instance ids for the query q,
// sized by wire.SeenSize for seenFalsePositive; the zero filter for none.
func seenFilter(q wire.QueryID, ids []wire.InstanceID) wire.SeenFilter {
	bits, hashes := wire.SeenSize(len(ids), seenFalsePositive)
	f, err := wire.NewSeenFilter(bits, hashes)
	if err != nil {
		return wire.SeenFilter{} // SeenSize only returns valid sizes
	}
	for _, id := range ids {
		f.Add(q, id)
	}
	return f
}
