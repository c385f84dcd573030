package main

import (
	"fmt"
	"strconv"
	"time"
)

// rfloodRow is one phase of the responder flood: lookups from the querier
// while the flooder's multicast reaches every host of the group.
type rfloodRow struct {
	Mode     string  // "none" or floodMixed
	SendRate float64 // the flooder's, per second
	WallMs   float64 // the querier's window
	Lookup   latencyRow
	// Querier and Responders are the UDP counters of the querier's host
	// and the sum over the responders' hosts, over their windows.
	Querier, Responders udpCounters
	RespWallMs          float64 // the longest responder window
	Busy, Softirq       float64 // the machine's CPU, over the querier's window
}

// runFloodResponders measures lookups while a mixed flood (garbage, a
// foreign key id, forgeries with the real key id, replays of recorded
// authentic datagrams; see mixedPool) reaches the querier and every
// responder host alike, as a flooder's multicast does on a LAN: nothing
// filters it. The flooder records the responders' start-up datagrams
// first, to replay them. Hosts the section does not use are cut off.
func (b *bench) runFloodResponders() error {
	if b.bin == "" || workers["serve-mcg"] == nil {
		b.note("responder flood skipped: the engine (provider/mcgossip) is not available in this tree")
		return nil
	}
	cfg := b.cfg
	keep := []int{hostQuerier, hostFlooder}
	var respHosts []int
	for i := range cfg.rfloodHosts {
		respHosts = append(respHosts, hostResponder+i)
	}
	reconnect, err := b.isolate(append(keep, respHosts...)...)
	defer reconnect()
	if err != nil {
		return err
	}

	fw, err := b.startWorker(b.host(hostFlooder), "rflood-flooder", "flood", "-mode", floodMixed,
		"-rate", strconv.Itoa(cfg.floodRate), "-dur", (cfg.floodDur + 4*time.Second).String(),
		"-group", mcgGroup, "-cookie", benchCookie)
	if err != nil {
		return err
	}
	defer func() { _ = fw.stop(10 * time.Second) }()
	expect := map[string]bool{}
	for k, hi := range respHosts {
		h := b.host(hi)
		n := cfg.floodN / len(respHosts)
		if k < cfg.floodN%len(respHosts) {
			n++
		}
		w, err := b.startWorker(h, "rflood-serve-"+strconv.Itoa(hi), "serve-mcg", "-n", strconv.Itoa(n),
			"-port", strconv.Itoa(mcgPortBase), "-addr", h.Addr.String(), "-args", "cookie="+benchCookie)
		if err != nil {
			return err
		}
		defer func() { _ = w.stop(10 * time.Second) }()
		if err := w.waitReady(60 * time.Second); err != nil {
			return err
		}
		for j := range n {
			expect[fmt.Sprintf("%s:%d", h.Addr, mcgPortBase+j)] = true
		}
	}
	// Ready once it has recorded what it replays; then it floods.
	if err := fw.waitReady(90 * time.Second); err != nil {
		return err
	}
	time.Sleep(500 * time.Millisecond) // let the flood reach its rate
	row, err := b.rfloodPhase(floodMixed, respHosts, expect)
	if err != nil {
		return err
	}
	fmsgs, err := fw.collect(cfg.floodDur + 60*time.Second)
	if err != nil {
		b.note("responder flood: the flooder failed: %s", firstLine(err.Error()))
	}
	for _, m := range fmsgs {
		if m.Type == "result" && m.WallMs > 0 {
			row.SendRate = float64(m.Sent) / (m.WallMs / 1000)
		}
	}
	base, err := b.rfloodPhase("none", respHosts, expect)
	if err != nil {
		return err
	}
	for _, r := range []rfloodRow{base, row} {
		b.logf("responder flood %-5s: sent %6.0f/s; querier: %6.0f/s delivered (%s dropped), responders' hosts: %6.0f/s delivered (%s dropped); lookup median %.1f ms p95 %.1f ms, found %.1f%% (all in %d/%d), %d unexpected",
			r.Mode, r.SendRate, perSec(r.Querier.InDatagrams, r.WallMs), dropShare(r.Querier),
			perSec(r.Responders.InDatagrams, r.RespWallMs), dropShare(r.Responders),
			ms(r.Lookup.Sum.Median), ms(r.Lookup.Sum.P95), 100*r.Lookup.meanShare(), r.Lookup.allFound(), len(r.Lookup.Shares), r.Lookup.Extra)
	}
	b.res.RFlood = append(b.res.RFlood, base, row)
	return nil
}

// dropShare is how many datagrams a full receive buffer dropped, and
// their share of those that arrived.
func dropShare(u udpCounters) string {
	if u.RcvbufErrors == 0 {
		return "0"
	}
	return fmt.Sprintf("%d, %.0f%%", u.RcvbufErrors, 100*float64(u.RcvbufErrors)/float64(u.InDatagrams+u.RcvbufErrors))
}

// rfloodPhase runs the querier's lookups for the flood window while
// udpstat workers count each responder host's UDP traffic.
func (b *bench) rfloodPhase(mode string, respHosts []int, expect map[string]bool) (rfloodRow, error) {
	cfg := b.cfg
	row := rfloodRow{Mode: mode}
	var stats []*worker
	for _, hi := range respHosts {
		w, err := b.startWorker(b.host(hi), fmt.Sprintf("rflood-udp-%s-%d", mode, hi), "udpstat", "-dur", cfg.floodDur.String())
		if err != nil {
			return row, err
		}
		if err := w.waitReady(30 * time.Second); err != nil {
			return row, err
		}
		stats = append(stats, w)
	}
	vw, err := b.startWorker(b.host(hostQuerier), "rflood-victim-"+mode, "victim", "-dur", cfg.floodDur.String(),
		"-args", "provider=mcgossip cookie="+benchCookie, "-cookie", benchCookie)
	if err != nil {
		return row, err
	}
	msgs, err := vw.collect(cfg.floodDur + 60*time.Second)
	if err != nil {
		b.note("responder flood %s: the querier failed: %s", mode, firstLine(err.Error()))
	}
	row.Lookup = lookupRow(kindMCG, len(expect), 0, msgs, expect)
	for _, m := range msgs {
		if m.Type == "result" {
			row.WallMs = m.WallMs
			row.Busy, row.Softirq = m.Metrics["machine_busy"], m.Metrics["machine_softirq"]
			if m.UDP != nil {
				row.Querier = *m.UDP
			}
		}
	}
	for _, w := range stats {
		ms, err := w.collect(cfg.floodDur + 30*time.Second)
		if err != nil {
			b.note("responder flood %s: %s", mode, firstLine(err.Error()))
		}
		for _, m := range ms {
			if m.Type == "result" && m.UDP != nil {
				row.Responders = row.Responders.add(*m.UDP)
				row.RespWallMs = max(row.RespWallMs, m.WallMs)
			}
		}
	}
	return row, nil
}

// perSec is n per second over a window of wallMs milliseconds.
func perSec(n uint64, wallMs float64) float64 {
	if wallMs <= 0 {
		return 0
	}
	return float64(n) / (wallMs / 1000)
}

func (r *results) writeRFlood(w func(string, ...any)) {
	if !r.Config.sections["rflood"] || len(r.RFlood) == 0 {
		return
	}
	c := r.Config
	w("## 3b. Flood on every host of the group\n\n")
	w("Host 2 records the responders' first datagrams, then sends up to %d datagrams/s to `%s`: in equal shares garbage,\n", c.floodRate, mcgGroup)
	w("recorded datagrams with another key id, forgeries with the real key id, and the recorded datagrams themselves\n")
	w("(replays). Nothing filters it: the bridge copies it to host 1, which runs lookups for %s, and to hosts 3-%d, which\n", c.floodDur, hostResponder+c.rfloodHosts-1)
	w("carry %d engines. Delivered and dropped (receive buffer full) are the kernel's UDP counters of the hosts' namespaces,\n", c.floodN)
	w("per socket: each engine's group socket gets its own copy of every datagram to the group.\n\n")
	w("| traffic | sent/s | lookups | median | p95 | found | querier: delivered/s (dropped) | responders' hosts: delivered/s (dropped) | machine busy (softirq) |\n")
	w("|---|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, f := range r.RFlood {
		sent := "–"
		if f.Mode != "none" {
			sent = fmt.Sprintf("%.0f", f.SendRate)
		}
		w("| %s | %s | %d | %s | %s | %s | %.0f (%s) | %.0f (%s) | %.0f%% (%.0f%%) |\n", f.Mode, sent, len(f.Lookup.Shares),
			cellMs(f.Lookup, true, median), cellMs(f.Lookup, true, p95), foundOK(f.Lookup, true),
			perSec(f.Querier.InDatagrams, f.WallMs), dropShare(f.Querier),
			perSec(f.Responders.InDatagrams, f.RespWallMs), dropShare(f.Responders), 100*f.Busy, 100*f.Softirq)
	}
	w("\n")
}
