package mcgossip

import (
	"testing"
	"time"
)

// The answer window and the lookup's rounds, on made-up answers and a
// made-up clock: what Discover does at each point.

func TestAnswerWindow(t *testing.T) {
	const floor = 2 * time.Millisecond
	for _, tc := range []struct {
		n    int
		want time.Duration
	}{
		{0, floor}, {1, floor}, {50, floor}, {100, floor}, {101, 2020 * time.Microsecond},
		{200, 4 * time.Millisecond}, {1000, 20 * time.Millisecond}, {2000, 40 * time.Millisecond},
		{50_000, time.Second}, {1 << 30, time.Second},
	} {
		if got := answerWindow(tc.n, floor); got != tc.want {
			t.Errorf("answerWindow(%d) = %v, want %v", tc.n, got, tc.want)
		}
	}
	if got := answerWindow(10, 30*time.Millisecond); got != 30*time.Millisecond {
		t.Errorf("a larger floor: %v, want 30ms", got)
	}
	// The responder's side: a window asked for is honoured (capped), none
	// asked is sized from the members it knows.
	a := newAnswerer(floor)
	for _, tc := range []struct {
		asked   time.Duration
		members int
		want    time.Duration
	}{
		{0, 1, floor}, {0, 1000, 20 * time.Millisecond}, {0, 2000, 40 * time.Millisecond},
		{5 * time.Millisecond, 2000, 5 * time.Millisecond}, {time.Hour, 1, maxAnswerJitter},
	} {
		if got := a.window(tc.asked, tc.members); got != tc.want {
			t.Errorf("window(asked %v, %d members) = %v, want %v", tc.asked, tc.members, got, tc.want)
		}
	}
}

// planner drives a roundPlan with a made-up clock.
type planner struct {
	t   *testing.T
	p   *roundPlan
	now time.Time
	st  lookupState
	// asks records the windows of the queries sent.
	asks []time.Duration
}

func newPlanner(t *testing.T, o discoverOptions, known int) *planner {
	now := time.Unix(1_700_000_000, 0)
	pl := &planner{t: t, now: now, st: lookupState{known: known}}
	pl.p = newRoundPlan(o, 2*time.Millisecond, now)
	w := pl.p.firstWindow(pl.st)
	pl.p.sent(now, w, pl.st)
	pl.asks = append(pl.asks, w)
	return pl
}

// step asks the plan what to do with the answers reported so far, after d
// more time, and sends the query it asks for.
func (pl *planner) step(d time.Duration, reported time.Duration) (step, time.Time) {
	pl.t.Helper()
	pl.now = pl.now.Add(d)
	what, at, w := pl.p.next(pl.now, pl.st, reported)
	if what == stepAsk {
		pl.p.sent(pl.now, w, pl.st)
		pl.asks = append(pl.asks, w)
	}
	if what == stepWait && !at.After(pl.now) {
		pl.t.Fatalf("wait until %v, not after now %v", at, pl.now)
	}
	return what, at
}

// answer records n more peers that answered, reporting members.
func (pl *planner) answer(n, members int) {
	pl.st.agree = pl.st.members == 0 || pl.st.agree && members == pl.st.members
	pl.st.found += n
	pl.st.known += n
	pl.st.members = max(pl.st.members, members)
}

func TestRoundsEndWhenAllAnswered(t *testing.T) {
	// A cold observer: the first query asks for no window; it ends the
	// moment the answers match the members they report.
	pl := newPlanner(t, discoverOptions{}, 0)
	if pl.asks[0] != 0 {
		t.Fatalf("a cold lookup asked for window %v, want none", pl.asks[0])
	}
	pl.answer(30, 50)
	if what, at := pl.step(time.Millisecond, 2*time.Millisecond); what != stepWait || at != pl.p.sentAt.Add(minMissingRound) {
		t.Fatalf("30 of 50: %v until %v, want to wait for the round's end (%v while counted members are missing)", what, at, minMissingRound)
	}
	pl.answer(20, 50)
	if what, _ := pl.step(time.Millisecond, 2*time.Millisecond); what != stepDone {
		t.Fatalf("50 of 50 after 2 ms: %v, want done", what)
	}
	if len(pl.asks) != 1 {
		t.Errorf("sent %d queries, want 1", len(pl.asks))
	}

	// A warm lookup asks for a window sized from its table.
	pl = newPlanner(t, discoverOptions{}, 1000)
	if pl.asks[0] != 20*time.Millisecond {
		t.Errorf("a lookup that knows 1000 peers asked for %v, want 20ms", pl.asks[0])
	}
}

func TestRoundsOneShort(t *testing.T) {
	// 9 of 10: the counts leave this engine out, so the missing one is
	// there and its exchange was lost (or it crashed); the lookup asks
	// again, for countedRounds empty rounds, and then ends.
	pl := newPlanner(t, discoverOptions{}, 0)
	pl.answer(9, 10)
	if what, _ := pl.step(time.Millisecond, 2*time.Millisecond); what != stepWait {
		t.Fatalf("9 of 10 inside the window: %v, want wait", what)
	}
	if what, _ := pl.step(20*time.Millisecond, 2*time.Millisecond); what != stepAsk {
		t.Fatalf("9 of 10 after the window: %v, want ask", what)
	}
	for i := range countedRounds {
		if what, _ := pl.step(20*time.Millisecond, 0); what != stepAsk {
			t.Fatalf("9 of 10, empty round %d: %v, want one more", i+1, what)
		}
	}
	if what, _ := pl.step(20*time.Millisecond, 0); what != stepDone {
		t.Fatalf("9 of 10, %d empty rounds: %v, want done", countedRounds+1, what)
	}
}

func TestRoundsAskAgainForTheMissing(t *testing.T) {
	// 2000 members; the first round (40 ms window) brings 1500.
	pl := newPlanner(t, discoverOptions{}, 0)
	pl.answer(1500, 2000)
	const w1 = 40 * time.Millisecond
	if what, _ := pl.step(20*time.Millisecond, w1); what != stepWait {
		t.Fatalf("inside the window: %v", what)
	}
	if what, _ := pl.step(30*time.Millisecond, w1); what != stepAsk {
		t.Fatalf("after the window with 500 missing: %v, want ask", what)
	}
	if got := pl.asks[1]; got != 10*time.Millisecond {
		t.Errorf("the second query asked for %v, want 10ms (500 missing)", got)
	}
	// The round brings nobody, but 500 of 2000 missing is loss: ask on.
	if what, _ := pl.step(30*time.Millisecond, 0); what != stepAsk {
		t.Fatalf("an empty round, 500 of 2000 missing: %v, want ask", what)
	}
	pl.answer(498, 2000)
	if what, _ := pl.step(30*time.Millisecond, 0); what != stepAsk {
		t.Fatalf("a round with news: %v, want ask", what)
	}
	// Two of 2000 missing and no loss seen: members the counts name, so
	// most likely there, their exchanges lost (or crashed, still in
	// their peers' tables). countedRounds empty rounds, then it ends.
	for i := range countedRounds {
		if what, _ := pl.step(30*time.Millisecond, 0); what != stepAsk {
			t.Fatalf("empty round %d, 2 of 2000 missing, no loss: %v, want one more", i+1, what)
		}
	}
	if what, _ := pl.step(30*time.Millisecond, 0); what != stepDone {
		t.Fatalf("%d empty rounds, 2 of 2000 missing, no loss: %v, want done", countedRounds+1, what)
	}
	// A re-ask never asks for more than the first window did.
	pl = newPlanner(t, discoverOptions{}, 0)
	pl.answer(1, 5000)
	pl.step(20*time.Millisecond, 2*time.Millisecond)
	if got := pl.asks[1]; got != 2*time.Millisecond {
		t.Errorf("re-ask after a 2 ms round asked for %v, want 2ms", got)
	}
}

func TestRoundsUnderLoss(t *testing.T) {
	// Loss seen: empty rounds go on, up to lossRounds, while members are
	// missing; then the lookup ends with what it has.
	pl := newPlanner(t, discoverOptions{}, 0)
	pl.answer(40, 50)
	pl.step(20*time.Millisecond, 2*time.Millisecond) // ask: 10 missing
	pl.answer(8, 50)
	pl.st.lossy = true
	if what, _ := pl.step(20*time.Millisecond, 0); what != stepAsk {
		t.Fatalf("a round with news: %v, want ask", what)
	}
	if pl.asks[2] != 2*time.Millisecond {
		t.Errorf("2 missing: asked for %v, want the floor 2ms", pl.asks[2])
	}
	for i := range lossRounds {
		if what, _ := pl.step(20*time.Millisecond, 0); what != stepAsk {
			t.Fatalf("empty round %d under loss: %v, want ask", i+1, what)
		}
	}
	if what, _ := pl.step(20*time.Millisecond, 0); what != stepDone {
		t.Fatalf("after %d empty rounds: %v, want done", lossRounds, what)
	}
	if got := len(pl.asks); got != 3+lossRounds {
		t.Errorf("sent %d queries, want %d", got, 3+lossRounds)
	}
	// A found member resets the count of empty rounds; with everyone
	// found, the next empty round ends it.
	pl = newPlanner(t, discoverOptions{}, 0)
	pl.answer(49, 50)
	pl.st.lossy = true
	for range 5 {
		pl.step(20*time.Millisecond, 2*time.Millisecond)
	}
	pl.answer(1, 50)
	if what, _ := pl.step(3*time.Millisecond, 0); what != stepWait {
		t.Fatalf("50 of 50 under loss, inside the round: %v, want wait (counts fall short under loss)", what)
	}
	if what, _ := pl.step(20*time.Millisecond, 0); what != stepAsk {
		t.Fatalf("50 of 50 under loss, the round brought one: %v, want ask", what)
	}
	if what, _ := pl.step(20*time.Millisecond, 0); what != stepDone {
		t.Fatalf("50 of 50 under loss, an empty round: %v, want done", what)
	}
}

func TestRoundsLonePeer(t *testing.T) {
	// A count of 1 (a lone peer, or one that has just started, whose
	// peers' answers may have been lost) never ends the lookup: the rounds
	// do, the second bringing nobody.
	pl := newPlanner(t, discoverOptions{}, 0)
	pl.answer(1, 1)
	what, at := pl.step(100*time.Microsecond, 2*time.Millisecond)
	if what != stepWait || at != pl.p.sentAt.Add(2*time.Millisecond+answerGrace+2*time.Millisecond/8) {
		t.Fatalf("1 of 1: %v until %v, want wait until the round's end", what, at)
	}
	if what, _ := pl.step(at.Sub(pl.now), 2*time.Millisecond); what != stepAsk {
		t.Fatalf("round over, it brought 1 of 1: %v, want ask", what)
	}
	if what, _ := pl.step(20*time.Millisecond, 0); what != stepDone {
		t.Fatalf("an empty round: %v, want done", what)
	}
}

func TestRoundsCountsDisagree(t *testing.T) {
	// Counts of 49 and 50: views differ (a member that has just joined, or
	// a querier some count), so the counts do not end the lookup; the
	// rounds do.
	pl := newPlanner(t, discoverOptions{}, 0)
	pl.answer(25, 50)
	pl.answer(25, 49)
	if what, _ := pl.step(3*time.Millisecond, 2*time.Millisecond); what != stepWait {
		t.Fatalf("50 of 50, counts differ: %v, want wait for the round's end", what)
	}
	if what, _ := pl.step(20*time.Millisecond, 2*time.Millisecond); what != stepAsk {
		t.Fatalf("the round brought news: %v, want ask", what)
	}
	if what, _ := pl.step(20*time.Millisecond, 0); what != stepDone {
		t.Fatalf("an empty round, none missing: %v, want done", what)
	}
}

func TestRoundsStaleCounts(t *testing.T) {
	// A group that has just started: every responder counts only itself.
	// The first answer matches the count, but the lookup waits until the
	// last of one answer is due (half the window), and by then more peers
	// than the counts answered: the counts no longer end the lookup; the
	// rounds do.
	pl := newPlanner(t, discoverOptions{}, 0)
	pl.answer(2, 2)
	what, at := pl.step(100*time.Microsecond, 3*time.Millisecond)
	if what != stepWait || at != pl.p.sentAt.Add(2*time.Millisecond) {
		t.Fatalf("2 of 2 after 0.1 ms: %v until %v, want wait until 2/3 of the 3 ms window", what, at)
	}
	pl.answer(8, 2)
	if what, _ := pl.step(2*time.Millisecond, 3*time.Millisecond); what != stepWait {
		t.Fatalf("10 answered, counts of 2: %v, want wait for the round's end", what)
	}
	if what, _ := pl.step(20*time.Millisecond, 3*time.Millisecond); what != stepAsk {
		t.Fatalf("round over with news: %v, want ask", what)
	}
	pl.answer(5, 6)
	if what, _ := pl.step(20*time.Millisecond, 0); what != stepAsk {
		t.Fatalf("stale counts, the round brought news: %v, want ask", what)
	}
	// Without loss seen, stale counts leave the lookup unsure whether
	// anyone is missing: one more empty round, as for a counted member.
	if what, _ := pl.step(20*time.Millisecond, 0); what != stepAsk {
		t.Fatalf("stale counts, an empty round: %v, want one more", what)
	}
	if what, _ := pl.step(20*time.Millisecond, 0); what != stepDone {
		t.Fatalf("stale counts, two empty rounds: %v, want done", what)
	}
}

func TestRoundsNobodyAnswers(t *testing.T) {
	// Nobody: ask again with pauses growing by half up to maxEmptyGap,
	// so that 14 queries fit into the first second.
	pl := newPlanner(t, discoverOptions{}, 0)
	var sent []time.Duration
	start := pl.now
	for pl.now.Sub(start) < time.Second {
		what, at := pl.step(0, 0)
		if what == stepWait {
			pl.now = at
			continue
		}
		if what != stepAsk {
			t.Fatalf("nobody answered: %v", what)
		}
		sent = append(sent, pl.now.Sub(start))
	}
	if len(sent) < 13 {
		t.Errorf("asked again %d times in the first second (%v), want at least 13", len(sent), sent)
	}
	if sent[0] != firstGap {
		t.Errorf("first repeat after %v, want %v", sent[0], firstGap)
	}
	for i := 1; i < len(sent); i++ {
		if gap := sent[i] - sent[i-1]; gap > maxEmptyGap {
			t.Errorf("gap %v > %v", gap, maxEmptyGap)
		}
	}
}

func TestRoundsStableAndExpect(t *testing.T) {
	// stable set: everyone answering does not end the lookup; it ends
	// stable after the last new peer, once the rounds are over.
	pl := newPlanner(t, discoverOptions{stable: 200 * time.Millisecond}, 0)
	pl.answer(5, 5)
	pl.st.news, pl.st.lastNew = 5, pl.now.Add(time.Millisecond)
	if what, _ := pl.step(time.Millisecond, 2*time.Millisecond); what != stepWait {
		t.Fatalf("stable: all found at once: %v, want wait", what)
	}
	pl.st.news = 0
	pl.step(20*time.Millisecond, 2*time.Millisecond) // the round brought news: ask again
	what, at := pl.step(20*time.Millisecond, 0)
	if what != stepWait || at != pl.p.lastNew.Add(200*time.Millisecond) {
		t.Fatalf("stable after the rounds: %v until %v, want wait until last new + 200ms", what, at)
	}
	if what, _ := pl.step(at.Sub(pl.now), 0); what != stepDone {
		t.Fatalf("stable passed: %v, want done", what)
	}

	// expect: done when expect peers are known, asking until then.
	pl = newPlanner(t, discoverOptions{expect: 3}, 0)
	pl.answer(2, 2)
	if what, _ := pl.step(20*time.Millisecond, 2*time.Millisecond); what != stepAsk {
		t.Fatalf("expect 3, 2 found: %v, want ask", what)
	}
	pl.answer(1, 3)
	if what, _ := pl.step(time.Millisecond, 0); what != stepDone {
		t.Fatalf("expect 3 met: %v, want done", what)
	}
}

func TestRoundsLateAnswers(t *testing.T) {
	// Answers that came 40 ms after their window (slow responders) keep
	// the next round open that much longer before it counts as empty.
	pl := newPlanner(t, discoverOptions{}, 0)
	pl.answer(100, 200)
	pl.st.late = 40 * time.Millisecond
	if what, _ := pl.step(20*time.Millisecond, 4*time.Millisecond); what != stepWait {
		t.Fatalf("inside window + grace + lateness: %v, want wait", what)
	}
	what, _ := pl.step(40*time.Millisecond, 4*time.Millisecond)
	if what != stepAsk {
		t.Fatalf("after window + grace + lateness: %v, want ask", what)
	}
	w := pl.asks[1]
	if what, at := pl.step(20*time.Millisecond, 0); what != stepWait || at != pl.p.sentAt.Add(w+answerGrace+w/8+40*time.Millisecond) {
		t.Fatalf("the second round: %v until %v, want to wait out its window, the grace and the lateness", what, at)
	}
}

func TestRoundsStaleCountsUnderLoss(t *testing.T) {
	// Under heavy loss the counts are stale (more answer than any count):
	// the lookup keeps asking for lossRounds empty rounds, as when counted
	// members are missing.
	pl := newPlanner(t, discoverOptions{}, 0)
	pl.answer(100, 150)
	pl.step(20*time.Millisecond, 4*time.Millisecond) // ask
	pl.answer(60, 150)                               // 160 > 150: stale
	pl.st.lossy = true
	if what, _ := pl.step(20*time.Millisecond, 0); what != stepAsk {
		t.Fatalf("a round with news: %v, want ask", what)
	}
	for i := range lossRounds {
		if what, _ := pl.step(20*time.Millisecond, 0); what != stepAsk {
			t.Fatalf("stale counts under loss, empty round %d: %v, want ask", i+1, what)
		}
	}
	if what, _ := pl.step(20*time.Millisecond, 0); what != stepDone {
		t.Fatalf("after %d empty rounds: %v, want done", lossRounds, what)
	}
}
