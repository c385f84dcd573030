package cli

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/hashicorp/go-hclog"
	"golang.org/x/term"

	"github.com/mcgossip/go-discover-mcgossip/provider/mcgossip"
	"github.com/mcgossip/go-discover-mcgossip/provider/mcgossip/wire"
)

// goneFor is how long watch's table keeps showing a peer that left or
// expired.
const goneFor = time.Minute

// heardEvery is how often watch tells what it heard that made no peer
// (another cookie, clocks off, ...), when that changed.
const heardEvery = time.Minute

// runWatch shows the peers live until the context is cancelled. On a
// terminal it redraws a table in place every second and on every change;
// otherwise, or with -json, it prints one line per join, update, leave or
// expiry (a JSON object with -json). It observes (announce=false) unless
// announce=true is given. What it heard that made no peer (datagrams
// sealed with another cookie, clocks off, ...) it tells after its first
// lookup when that found nobody, once a minute when it changed, and when it
// stops: in the log, as -json "heard" objects, or in the table's header.
func runWatch(e *env) error {
	_, cfg, err := e.parseConfig("false")
	if err != nil {
		return err
	}
	eng, hl, err := e.startEngine(cfg, hclog.Warn)
	if err != nil {
		return err
	}
	events, unsubscribe := eng.Events()
	hl.Info("watch started", "group", cfg.Groups())

	// One lookup at the start, so the view fills without waiting for the
	// peers' next heartbeats. It ends with the context or its timeout.
	lookCtx, cancelLook := context.WithCancel(e.ctx)
	defer cancelLook()
	looked := make(chan struct{})
	var lookHeard mcgossip.Heard // written before looked is closed
	go func() {
		defer close(looked)
		if _, err := eng.Discover(lookCtx, mcgossip.WithHeard(&lookHeard)); err != nil && lookCtx.Err() == nil {
			hl.Warn("first lookup failed", "error", err)
		}
	}()

	var v view
	if fd, ok := terminalFD(e.stdout); ok && !e.opts.json {
		v = newTableView(e.stdout, fd, cfg)
	} else {
		v = &lineView{w: e.stdout, json: e.opts.json, known: map[wire.InstanceID]bool{}}
	}
	tick := time.NewTicker(time.Second)
	lookedC := looked
	hr := heardReporter{v: v, hl: hl, table: isTable(v), at: time.Now()}
	werr := v.update(eng.Peers(), time.Now())
	for done := false; !done && werr == nil; {
		select {
		case <-e.ctx.Done():
			done = true
		case ev := <-events: // closed only by unsubscribe or Close, below
			werr = v.event(ev)
			if werr == nil {
				werr = v.update(eng.Peers(), time.Now())
			}
		case <-lookedC:
			lookedC = nil
			now, peers := time.Now(), eng.Peers()
			if werr = hr.lookup(now, len(peers), lookHeard); werr == nil {
				werr = v.update(peers, now)
			}
		case now := <-tick.C:
			peers := eng.Peers()
			if werr = hr.tick(now, len(peers), eng.Heard()); werr == nil {
				werr = v.update(peers, now)
			}
		}
	}
	tick.Stop()
	unsubscribe()
	cancelLook()
	<-looked
	if werr == nil {
		werr = hr.stop(time.Now(), len(eng.Peers()), eng.Heard())
	}
	cerr := eng.Close()
	if werr == nil {
		werr = v.close()
	}
	if werr != nil {
		return werr
	}
	return cerr
}

// terminalFD returns w's file descriptor if w is a terminal.
func terminalFD(w io.Writer) (int, bool) {
	f, ok := w.(*os.File)
	if !ok {
		return 0, false
	}
	fd := int(f.Fd())
	return fd, term.IsTerminal(fd)
}

// view is how watch shows the peers.
type view interface {
	event(mcgossip.Event) error                        // a join, leave or expiry
	update(peers []mcgossip.Peer, now time.Time) error // the current peer table
	// heard tells what the engine heard (why: "lookup", "periodic",
	// "stop"), with the number of live peers.
	heard(now time.Time, why string, peers int, h mcgossip.Heard) error
	close() error
}

// isTable reports whether v is the terminal's table.
func isTable(v view) bool {
	_, ok := v.(*tableView)
	return ok
}

// heardReporter decides when watch tells what the engine heard: after the
// first lookup when it found nobody, then at most once every heardEvery
// when the counts that made no peer changed, and at the end. The view
// shows it (-json: a "heard" object; the table: its header); the log
// tells it too, except under the table, whose redraws it would break.
type heardReporter struct {
	v     view
	hl    hclog.Logger
	table bool
	last  mcgossip.Heard // as last told
	at    time.Time      // when last told
}

// lookup tells what the first lookup heard, when it found nobody.
func (r *heardReporter) lookup(now time.Time, peers int, h mcgossip.Heard) error {
	if peers > 0 {
		return nil
	}
	if !r.table {
		logHeard(r.hl, "first lookup found no peers", h)
	}
	r.at = now
	return r.v.heard(now, "lookup", peers, h)
}

// tick tells h, what the engine heard since it started, when heardEvery
// has passed and its drop counts changed since last told; the table gets
// it every time.
func (r *heardReporter) tick(now time.Time, peers int, h mcgossip.Heard) error {
	if r.table {
		return r.v.heard(now, "periodic", peers, h)
	}
	if now.Sub(r.at) < heardEvery || sameDrops(h, r.last) {
		return nil
	}
	r.last, r.at = h, now
	if h.Misconfigured() {
		logHeard(r.hl, "since watch started", h)
	}
	return r.v.heard(now, "periodic", peers, h)
}

// stop tells h, what the engine heard since it started, as watch stops.
func (r *heardReporter) stop(now time.Time, peers int, h mcgossip.Heard) error {
	if !r.table {
		logHeard(r.hl, fmt.Sprintf("watch stopped with %s", plural(peers, "live peer")), h)
	}
	return r.v.heard(now, "stop", peers, h)
}

// sameDrops reports whether a and b counted the same datagrams that made no
// peer.
func sameDrops(a, b mcgossip.Heard) bool {
	return a.OtherCookie == b.OtherCookie && a.Stale == b.Stale && a.Forged == b.Forged &&
		a.OtherVersion == b.OtherVersion && a.OtherProtocol == b.OtherProtocol
}

// lineView prints one line per change, for pipes and files:
//
//	2006-01-02T15:04:05.000Z join 198.18.0.2 name=web-1
//
// or, with json, one JSON object per line (writeEventJSON).
type lineView struct {
	w     io.Writer
	json  bool
	known map[wire.InstanceID]bool // peers announced by a join line
}

// event prints a line for ev unless it repeats what was printed already.
func (l *lineView) event(ev mcgossip.Event) error {
	kind := ev.Kind
	switch ev.Kind {
	case mcgossip.EventJoin, mcgossip.EventUpdate:
		if !l.known[ev.Peer.ID] {
			kind = mcgossip.EventJoin
		} else if ev.Kind == mcgossip.EventJoin {
			return nil // already shown, from the peer table
		}
		l.known[ev.Peer.ID] = true
	default: // leave, expire
		if !l.known[ev.Peer.ID] {
			return nil
		}
		delete(l.known, ev.Peer.ID)
	}
	return l.line(ev.Time, kind.String(), ev.Peer)
}

// update prints a join line for every peer of the table not yet shown
// (peers known before watch subscribed, or found by its lookup).
func (l *lineView) update(peers []mcgossip.Peer, now time.Time) error {
	for _, p := range peers {
		if l.known[p.ID] {
			continue
		}
		l.known[p.ID] = true
		t := p.LastSeen
		if t.IsZero() {
			t = now
		}
		if err := l.line(t, mcgossip.EventJoin.String(), p); err != nil {
			return err
		}
	}
	return nil
}

// line prints one event line.
func (l *lineView) line(t time.Time, kind string, p mcgossip.Peer) error {
	if l.json {
		return writeEventJSON(l.w, t, kind, p)
	}
	s := t.UTC().Format("2006-01-02T15:04:05.000Z") + " " + kind + " " + p.String()
	if p.Name != "" {
		s += " name=" + quoteIfNeeded(p.Name)
	}
	_, err := fmt.Fprintln(l.w, s)
	return err
}

// heard writes a "heard" object with -json; the plain lines carry only
// peer events (the log tells the rest).
func (l *lineView) heard(now time.Time, why string, peers int, h mcgossip.Heard) error {
	if !l.json {
		return nil
	}
	return writeHeardJSON(l.w, now, why, peers, h)
}

// close does nothing: the lines are written already.
func (l *lineView) close() error { return nil }

// quoteIfNeeded quotes s when it holds spaces, quotes or other characters
// that would make a line ambiguous to split.
func quoteIfNeeded(s string) string {
	if s == "" || strings.ContainsFunc(s, func(r rune) bool { return r <= ' ' || r == '"' || r == '\\' || r == 0x7f }) {
		return fmt.Sprintf("%q", s)
	}
	return s
}

// tableView redraws a table of the peers in place on a terminal.
type tableView struct {
	w     io.Writer
	fd    int
	title string
	gone  map[wire.InstanceID]goneRow // left or expired peers, shown for goneFor
	lines int                         // lines drawn last time, to move back over
	note  string                      // what was heard that made no peer, if anything to say
}

// goneRow is a peer that left or expired.
type goneRow struct {
	peer  mcgossip.Peer
	state string
	at    time.Time
}

func newTableView(w io.Writer, fd int, cfg *mcgossip.Config) *tableView {
	title := fmt.Sprintf("%s watch: group %s", progName, cfg.Groups())
	if cfg.BroadcastOnly {
		title = fmt.Sprintf("%s watch: %s", progName, cfg.Groups())
	}
	if cfg.Cookie == "" {
		title += " (open group: no cookie)"
	}
	fmt.Fprint(w, "\x1b[?25l") // hide the cursor while redrawing
	return &tableView{w: w, fd: fd, title: title, gone: map[wire.InstanceID]goneRow{}}
}

func (t *tableView) event(ev mcgossip.Event) error {
	switch ev.Kind {
	case mcgossip.EventJoin, mcgossip.EventUpdate:
		delete(t.gone, ev.Peer.ID)
	default: // leave, expire
		t.gone[ev.Peer.ID] = goneRow{peer: ev.Peer, state: ev.Peer.State.String(), at: ev.Time}
	}
	return nil
}

// heard keeps a line for the header when h holds something to say:
// datagrams that point to a mistake, or (with no peer) that nothing was
// heard.
func (t *tableView) heard(_ time.Time, _ string, peers int, h mcgossip.Heard) error {
	t.note = ""
	if h.Misconfigured() || peers == 0 {
		t.note = "heard: " + h.String()
	}
	return nil
}

func (t *tableView) update(peers []mcgossip.Peer, now time.Time) error {
	type row struct{ addr, name, seen, state string }
	var rows []row
	live := map[wire.InstanceID]bool{}
	slices.SortFunc(peers, func(a, b mcgossip.Peer) int { return cmp.Compare(a.String(), b.String()) })
	for _, p := range peers {
		live[p.ID] = true
		rows = append(rows, row{p.String(), p.Name, ago(now, p.LastSeen), p.State.String()})
	}
	var gone []goneRow
	for id, g := range t.gone {
		switch {
		case now.Sub(g.at) > goneFor:
			delete(t.gone, id)
		case !live[id]:
			gone = append(gone, g)
		}
	}
	slices.SortFunc(gone, func(a, b goneRow) int { return cmp.Compare(a.peer.String(), b.peer.String()) })
	for _, g := range gone {
		rows = append(rows, row{g.peer.String(), g.peer.Name, ago(now, g.peer.LastSeen), g.state + " " + strings.TrimPrefix(ago(now, g.at), "now")})
	}

	var b strings.Builder
	if t.lines > 0 {
		fmt.Fprintf(&b, "\x1b[%dA", t.lines) // back to the first line of the last table
	}
	b.WriteString("\r\x1b[J") // clear from there down
	lines := []string{
		t.title,
		fmt.Sprintf("%s, %s (Ctrl-C to stop)", plural(len(peers), "live peer"), now.Format("15:04:05")),
	}
	if t.note != "" {
		lines = append(lines, t.note)
	}
	lines = append(lines, "")
	hdr := row{"ADDRESS", "NAME", "LAST SEEN", "STATE"}
	wa, wn := len(hdr.addr), len(hdr.name)
	for _, r := range rows {
		wa, wn = max(wa, len(r.addr)), max(wn, utf8.RuneCountInString(r.name))
	}
	format := func(r row) string {
		return strings.TrimRight(fmt.Sprintf("%-*s  %-*s  %-10s  %s", wa, r.addr, wn, r.name, r.seen, r.state), " ")
	}
	lines = append(lines, format(hdr))
	width, height, err := term.GetSize(t.fd)
	if err != nil {
		width, height = 0, 0 // unknown: no cut
	}
	for i, r := range rows {
		if height > 0 && len(lines) >= height-2 && i < len(rows)-1 {
			lines = append(lines, fmt.Sprintf("... and %d more", len(rows)-i))
			break
		}
		lines = append(lines, format(r))
	}
	if len(rows) == 0 {
		lines = append(lines, "(no peer yet)")
	}
	for _, l := range lines {
		if r := []rune(l); width > 0 && len(r) >= width {
			l = string(r[:width-1]) // a wrapped line would break the redraw
		}
		b.WriteString(l)
		b.WriteString("\n")
	}
	t.lines = len(lines)
	_, err = io.WriteString(t.w, b.String())
	return err
}

// close shows the cursor again, leaving the last table on the screen.
func (t *tableView) close() error {
	_, err := io.WriteString(t.w, "\x1b[?25h")
	return err
}

// ago formats how long before now t was, briefly: "now", "3s ago",
// "2m5s ago".
func ago(now, t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	d := now.Sub(t).Round(time.Second)
	if d < time.Second {
		return "now"
	}
	return d.String() + " ago"
}

// plural returns "1 thing" or "n things".
func plural(n int, thing string) string {
	if n == 1 {
		return "1 " + thing
	}
	return fmt.Sprintf("%d %ss", n, thing)
}
