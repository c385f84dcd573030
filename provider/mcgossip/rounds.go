package mcgossip

import "time"

// A lookup asks in rounds: a round is one multicast query and the answers
// to it, which arrive within the query's answer window (window.go). When a
// round ends, the lookup ends or asks again; a query after the first names
// the peers that answered already (the seen filter), so only the missing
// ones answer, within a window sized for them.
const (
	// answerGrace is added to a round's window before the round is over:
	// the two one-way latencies of a LAN and a scheduler's delay. A
	// window's own length is added in part (window/8): answers late by a
	// few milliseconds come from responders that a burst of work held up,
	// and more of them the longer the window. So is how late the answers
	// of the last round that had any came after their window (lookupState
	// late): where the responders are slow to answer (in the benchmark's
	// lab 1000 of them share two cores, and answers come up to ~100 ms
	// after their window), a round that ended at 5 ms would look empty,
	// and a lookup without loss would end with the late answers missing.
	answerGrace = 5 * time.Millisecond
	// minMissingRound is the shortest round while members that the
	// answers count are missing. In the benchmark's lab (every responder
	// on two shared cores) a lookup of 200 without loss missed one of
	// them in 2 of 20 runs with rounds of 7 ms: its process had not run
	// for three rounds.
	minMissingRound = 15 * time.Millisecond
	// firstGap is the pause before a lookup asks again while nobody has
	// answered; it grows by half each time up to maxEmptyGap. With 30% loss
	// each way a lone responder's exchange fails 51% of the time
	// (1 - 0.7²), and these gaps fit 14 queries into the first second:
	// 0.51^14 < 0.0001 that it is still missing then.
	firstGap = 7 * time.Millisecond
	// maxEmptyGap is the longest pause between queries while a lookup has
	// found nobody yet (or fewer than expect).
	maxEmptyGap = 100 * time.Millisecond
	// lossRounds is how many rounds that bring nobody new a lookup still
	// asks while members are missing, once it has seen loss (a peer whose
	// first answer was to a later query). A missing member answers a
	// round with probability 0.49 at 30% loss each way, so ten empty
	// rounds in a row leave a member that is there behind with probability
	// 0.51^10 = 0.12%; a member that is gone (crashed, still in its peers'
	// tables) costs ten short rounds (each AnswerJitter + answerGrace),
	// and only while it is counted.
	lossRounds = 10
	// countedRounds is how many rounds that bring nobody new a lookup
	// still asks while the counts name more members than answered, before
	// it has seen loss. Such a member is most likely there, its exchanges
	// lost: at 10% loss each way one fails 19% of the time, and with one
	// empty round (its first round, the re-ask after news, then that one)
	// a lookup of 10 left one behind in 1 of 20 in the benchmark; with
	// three, 0.19^5 = 0.025% a member. A count can also be one too high
	// (a member that crashed, or whose leave was lost, stays in its peers'
	// tables for three of its intervals): then it costs three short rounds.
	countedRounds = 3
)

// step is what a lookup does next.
type step int

const (
	stepWait step = iota // wait until the time given, or news
	stepAsk              // send a query now, asking for the window given
	stepDone             // return what was found
)

// roundPlan decides when a lookup asks again and when it ends, from what
// the answers tell: it holds no lock and reads no clock, so tests drive it
// with made-up states and times.
//
// With the default (stable 0, expect 0) the lookup ends as soon as it can
// know that it has everyone: once the peers that answered are at least the
// members an answer reported (a responder counts the live members it
// knows, itself included and the querier left out, and only itself for its
// first second, while its table fills: settleTime; the largest count is
// taken, views differ), as long as no loss was seen. Otherwise it asks
// again when a round ends while its answers brought someone new (answers
// get lost), or, once loss was seen, up to lossRounds rounds that brought
// nobody (countedRounds while, before that, the counts name members that
// have not answered), and ends when a round ends with none of that. stable set ends it
// instead stable after the last new peer, once the rounds are over; expect
// set ends it when expect peers are known, and it asks until then.
type roundPlan struct {
	floor  time.Duration // Config.AnswerJitter: the smallest window
	stable time.Duration // 0: the answers decide
	expect int

	round   int           // queries sent
	sentAt  time.Time     // when the last one was
	asked   time.Duration // the window it asked for, 0 for none
	largest time.Duration // the largest window of any round so far
	// foundAtAsk is how many had answered when the last query was sent.
	foundAtAsk  int
	emptyRounds int
	gap         time.Duration // the pause while nobody answers
	lastNew     time.Time     // when the last new peer joined the table
	// stale is set once more peers answered than any answer counted
	// members: the responders' views are incomplete (a group that has
	// just started), so the counts no longer end the lookup.
	stale bool
}

// newRoundPlan returns the plan of a lookup that starts at start.
func newRoundPlan(o discoverOptions, floor time.Duration, start time.Time) *roundPlan {
	return &roundPlan{floor: floor, stable: o.stable, expect: o.expect,
		gap: max(firstGap, floor+answerGrace), lastNew: start}
}

// firstWindow returns the window the first query asks for: none when the
// engine knows no peer (the responders size it from the members they
// know), else one sized for the known peers.
func (p *roundPlan) firstWindow(st lookupState) time.Duration {
	if st.known == 0 {
		return 0
	}
	return answerWindow(st.known, p.floor)
}

// sent records a query sent at now that asked for window w.
func (p *roundPlan) sent(now time.Time, w time.Duration, st lookupState) {
	p.round++
	p.sentAt, p.asked, p.foundAtAsk = now, w, st.found
	p.largest = max(p.largest, w)
}

// next returns what to do at now, given what the lookup learnt (st) and
// the largest window the answers to the last query reported (reported):
// wait until the time returned, ask with the window returned, or end.
func (p *roundPlan) next(now time.Time, st lookupState, reported time.Duration) (step, time.Time, time.Duration) {
	if st.news > 0 {
		p.lastNew = st.lastNew
	}
	p.largest = max(p.largest, reported)
	p.stale = p.stale || st.found > st.members
	win := p.asked
	if win == 0 {
		win = reported
	}
	switch {
	case p.expect > 0 && st.known >= p.expect:
		return stepDone, now, 0
	case p.expect == 0 && p.stable == 0 && !p.stale && !st.lossy && st.agree && st.members > 1 && st.found >= st.members:
		// Everyone the responders count answered, and every answer
		// counted as many: in a group that has just started, or under
		// churn, the counts differ, and the rounds decide. Not before the last of
		// that many answers spread evenly over the window is due
		// (window·m/(m+1)): by then, if the counts are short because the
		// group has just started, more answers than the counts have come
		// (stale). A member none of the others knows yet, whose own
		// answer (with its own count) is late, is missed with probability
		// about 1/(m+1). Once loss was seen the counts no longer end the
		// lookup either: members whose heartbeats get lost expire from
		// their peers' tables (at 30% loss each way a peer is missing from
		// a table 13% of the time, 0.51³), so the counts fall short; an
		// empty round ends it then. A count of 1 never ends a lookup: a member that
		// knows no peer has most often just started (a group that boots
		// together, where the other answers may be lost); a lone peer is
		// found by the rounds instead (two, about 15 ms).
		m := time.Duration(st.members)
		if at := p.sentAt.Add(win * m / (m + 1)); now.Before(at) {
			return stepWait, at, 0
		}
		return stepDone, now, 0
	}
	if st.found == 0 || win == 0 {
		// Nobody answered yet (or nobody answered this open round): ask
		// again after a pause that grows.
		if at := p.sentAt.Add(p.gap); now.Before(at) {
			return stepWait, at, 0
		}
		p.gap = min(p.gap*3/2, maxEmptyGap)
		return stepAsk, now, p.again(st)
	}
	// Members are missing while fewer answered than the counts say, and
	// for all the lookup can tell once the counts are stale: at 30% loss
	// each way no member's table is complete (each misses about a quarter
	// of its peers, whose heartbeats and verifications were lost), so
	// more answer than any count.
	missing := st.members == 0 || p.stale || st.found < st.members
	end := p.sentAt.Add(win + answerGrace + win/8 + st.late)
	if missing && st.members > 0 && !p.stale {
		// Members that are counted but missing are asked for in rounds
		// of at least minMissingRound: a responder whose process the
		// scheduler holds up answers later than the others of its round.
		end = later(end, p.sentAt.Add(minMissingRound))
	}
	if now.Before(end) {
		return stepWait, end, 0
	}
	news := st.found > p.foundAtAsk
	// A member the counts name that has not answered is most likely
	// there, its exchanges lost, even before loss was seen
	// (countedRounds).
	counted := !p.stale && st.found < st.members
	switch {
	case p.expect > 0:
		// Fewer than expect: ask at once after news, else after a pause
		// that grows.
		if !news {
			if at := p.sentAt.Add(max(p.gap, win)); now.Before(at) {
				return stepWait, at, 0
			}
			p.gap = min(p.gap*3/2, maxEmptyGap)
		}
		return stepAsk, now, p.again(st)
	case news:
		p.emptyRounds = 0
		return stepAsk, now, p.again(st)
	case st.lossy && missing && p.emptyRounds < lossRounds,
		counted && p.emptyRounds < countedRounds,
		missing && st.members > 0 && p.emptyRounds < 1:
		// Without loss seen and with counts that are stale (a group that
		// has just started), one empty round more: an answer may have
		// been dropped by a full buffer, come late, or been silenced by the
		// seen filter's false positive.
		p.emptyRounds++
		return stepAsk, now, p.again(st)
	case p.stable > 0:
		if at := p.lastNew.Add(p.stable); now.Before(at) {
			return stepWait, at, 0
		}
	}
	return stepDone, now, 0
}

// again returns the window of a repeated query: sized for the members
// still missing (1 when no count is known), and no larger than the
// largest window so far, which covered the whole group; for an engine
// that knows nobody and heard nothing, none (the responders decide).
func (p *roundPlan) again(st lookupState) time.Duration {
	if st.members == 0 {
		if p.largest == 0 {
			return p.firstWindow(st)
		}
		return p.largest
	}
	w := answerWindow(max(st.members-st.found, 1), p.floor)
	if p.largest > 0 {
		w = min(w, max(p.largest, p.floor))
	}
	return w
}

// later returns the later of a and b.
func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
