package main

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/mcgossip/go-discover-mcgossip/internal/lab"
	"github.com/mcgossip/go-discover-mcgossip/provider/mcgossip"
)

// Kinds of lookup in the latency table.
const (
	kindMCG      = "mcgossip"
	kindMDNS     = "mdns"
	kindMDNSDef  = "mdns-defaults"
	kindMDNSLib  = "mdns-library"
	kindCLI      = "cli"
	kindMCGFirst = "mcgossip-first"
)

// latencyRow is one cell of the latency table: runs of one kind of lookup
// at one responder count and loss.
type latencyRow struct {
	Kind   string
	N      int
	Loss   int
	Sum    summary
	Shares []float64 // share of the N responders each run found
	Extra  int       // addresses returned that no responder advertised, over all runs
	Errors int
	Err    string // the first error
	// RespCPU is the mcgossip responders' CPU use while the cell ran, in
	// cores (utime+stime of their processes over the cell's wall time);
	// Busy the machine's busy share meanwhile (/proc/stat).
	RespCPU, Busy float64
	// Interval is the responders' heartbeat interval.
	Interval time.Duration
	// Ms are the lookups' wall times, for the CDF.
	Ms []float64
}

// allFound counts the runs that found every responder.
func (r latencyRow) allFound() int {
	n := 0
	for _, s := range r.Shares {
		if s >= 1 {
			n++
		}
	}
	return n
}

// minShare is the smallest share of responders a run found.
func (r latencyRow) minShare() float64 {
	if len(r.Shares) == 0 {
		return 0
	}
	return slices.Min(r.Shares)
}

// meanShare is the mean share of responders found per run.
func (r latencyRow) meanShare() float64 {
	if len(r.Shares) == 0 {
		return 0
	}
	t := 0.0
	for _, s := range r.Shares {
		t += s
	}
	return t / float64(len(r.Shares))
}

// responders is one responder population.
type responders struct {
	n         int
	hosts     []*lab.Host
	workers   []*worker
	expectMCG map[string]bool
	expectMD  map[string]bool
	// idleCPU is the mcgossip responders' CPU use once settled, in cores.
	idleCPU float64
	// interval is their heartbeat interval (responderInterval).
	interval time.Duration
}

// heartbeatBudget is how many heartbeats a second all the responders of
// the lab may receive together: every member receives every member's
// heartbeat, N² / interval a second, and one costs a receiver about 8 µs
// of CPU (kernel, wake-up, open), so N = 1000 at the default 5 s interval
// asks for 200,000 a second, more than the lab's two cores (measured: the
// 1000 responders used 177% of a core settled, before any lookup). On a
// LAN each member has a machine of its own and receives N / interval of
// them: 200 a second, 0.2% of a core.
const heartbeatBudget = 20_000

// responderInterval returns the responders' heartbeat interval for a group
// of n: the default 5 s, or longer so that the lab's heartbeats stay
// within heartbeatBudget (50 s for 1000, 200 s for 2000).
func responderInterval(n int) time.Duration {
	d := time.Duration(float64(n) * float64(n) / heartbeatBudget * float64(time.Second))
	return max(mcgossip.DefaultInterval, d.Round(time.Second))
}

// spread returns how many of n responders each of h hosts gets.
func spread(n, h int) []int {
	if n < h {
		h = n
	}
	out := make([]int, h)
	for i := range out {
		out[i] = n / h
		if i < n%h {
			out[i]++
		}
	}
	return out
}

// startResponders starts n mcgossip responders and n mdns responders on
// the responder hosts. mcgossip: up to 10 responders are agents of the
// built binary, one per host (advertising the host's address); beyond that
// one worker per host runs several engines, engine i advertising
// addr:30000+i. mdns: one worker per host runs that host's share of
// hashicorp/mdns servers, server i for addr:20000+i.
func (b *bench) startResponders(n int, withMCG, withMDNS bool) (*responders, error) {
	r := &responders{n: n, expectMCG: map[string]bool{}, expectMD: map[string]bool{}, interval: responderInterval(n)}
	counts := spread(n, b.cfg.hosts)
	for i, k := range counts {
		h := b.host(hostResponder + i)
		r.hosts = append(r.hosts, h)
		tag := fmt.Sprintf("n%d-h%d", n, h.Index)
		if withMCG {
			if n <= 10 {
				w, err := b.startProcess(h, "agent-"+tag, b.bin, "agent", "-log-level", "warn")
				if err != nil {
					return r, err
				}
				r.workers = append(r.workers, w)
				r.expectMCG[h.Addr.String()] = true
			} else {
				w, err := b.startWorker(h, "serve-mcg-"+tag, "serve-mcg", "-n", strconv.Itoa(k),
					"-port", strconv.Itoa(mcgPortBase), "-addr", h.Addr.String(),
					"-args", "interval="+r.interval.String(), "-group", strconv.Itoa(n))
				if err != nil {
					return r, err
				}
				r.workers = append(r.workers, w)
				for j := range k {
					r.expectMCG[fmt.Sprintf("%s:%d", h.Addr, mcgPortBase+j)] = true
				}
			}
		}
		if withMDNS {
			w, err := b.startWorker(h, "serve-mdns-"+tag, "serve-mdns", "-n", strconv.Itoa(k),
				"-port", strconv.Itoa(mdnsPortBase), "-addr", h.Addr.String(), "-name", fmt.Sprintf("h%d", h.Index))
			if err != nil {
				return r, err
			}
			r.workers = append(r.workers, w)
			for j := range k {
				r.expectMD[fmt.Sprintf("%s:%d", h.Addr, mdnsPortBase+j)] = true
			}
		}
	}
	for _, w := range r.workers {
		if strings.HasPrefix(w.name, "agent-") {
			continue
		}
		if err := w.waitReady(60 * time.Second); err != nil {
			return r, err
		}
	}
	// Let the responders' start-up announce bursts pass, and check that
	// the agents are still alive.
	time.Sleep(1500 * time.Millisecond)
	b.waitViews(r)
	b.settle(r)
	for _, w := range r.workers {
		select {
		case <-w.done:
			return r, fmt.Errorf("%s exited during start-up (%v); see %s%s", w.name, w.err, w.log, w.tail())
		default:
		}
	}
	return r, nil
}

// stop stops the responders and removes any loss set on their hosts.
func (r *responders) stop(b *bench) {
	if err := stopAll(r.workers); err != nil {
		b.logf("stopping responders: %v", err)
	}
	r.setLoss(b, 0)
}

// setLoss sets the loss of every responder host: each datagram to or from
// a responder host is dropped with that probability, independently per
// host and direction.
func (r *responders) setLoss(b *bench, pct int) {
	for _, h := range r.hosts {
		if err := h.SetLoss(pct); err != nil {
			b.note("setting %d%% loss on %s: %v", pct, h.Name, err)
		}
	}
}

// query runs a query worker on the querier host and returns its row.
func (b *bench) query(r *responders, kind string, n, loss, runs int, expect map[string]bool, wargs ...string) latencyRow {
	row := latencyRow{Kind: kind, N: n, Loss: loss, Interval: r.interval}
	name := fmt.Sprintf("query-%s-n%d-l%d", kind, n, loss)
	rw := r.mcgWorkers()
	c0, t0 := cpuOf(rw), time.Now()
	m0, merr := readCPUStat()
	w, err := b.startWorker(b.host(hostQuerier), name, append([]string{"query"}, wargs...)...)
	if err != nil {
		row.Errors, row.Err = runs, err.Error()
		return row
	}
	msgs, collectErr := w.collect(time.Duration(runs)*15*time.Second + 30*time.Second)
	if wall := time.Since(t0); wall > 0 {
		row.RespCPU = float64(cpuOf(rw)-c0) / float64(wall)
	}
	if m1, err := readCPUStat(); err == nil && merr == nil {
		row.Busy, _ = m1.busy(m0)
	}
	if i := slices.IndexFunc(msgs, func(m message) bool { return m.Type == "run" }); i >= 0 && kind == kindMCG {
		// The first lookup of a process derives the key (Argon2id,
		// cached for the process): reported on its own row.
		b.res.First = append(b.res.First, lookupRow(kindMCGFirst, n, loss, msgs[i:i+1], expect))
		msgs = slices.Delete(slices.Clone(msgs), i, i+1)
	}
	rc, busy := row.RespCPU, row.Busy
	row = lookupRow(kind, n, loss, msgs, expect)
	row.RespCPU, row.Busy, row.Interval = rc, busy, r.interval
	if collectErr != nil {
		row.Err = collectErr.Error()
	}
	if row.Err != "" && len(row.Shares) == 0 {
		b.note("%s lookups at N=%d, %d%% loss failed: %s", kind, n, loss, firstLine(row.Err))
	}
	b.logf("%-14s N=%-3d loss=%2d%%: median %7.1f ms  p95 %7.1f ms  found %5.1f%% (all in %d/%d runs, min %.1f%%)  responders %.0f%% of a core, machine %.0f%% busy%s",
		kind, n, loss, ms(row.Sum.Median), ms(row.Sum.P95), 100*row.meanShare(), row.allFound(), len(row.Shares),
		100*row.minShare(), 100*row.RespCPU, 100*row.Busy, errSuffix(row))
	return row
}

func errSuffix(r latencyRow) string {
	if r.Errors == 0 && r.Extra == 0 {
		return ""
	}
	return fmt.Sprintf("  [%d errors, %d unexpected addresses: %s]", r.Errors, r.Extra, firstLine(r.Err))
}

// mcgArgs are the arguments of every mcgossip lookup of the latency
// table: the provider's defaults.
const mcgArgs = "provider=mcgossip"

// runLatency fills the latency table, and measures the plugin at the
// plugin section's responder count.
func (b *bench) runLatency() error {
	cfg := b.cfg
	haveMCG := b.bin != "" && workers["serve-mcg"] != nil
	if !haveMCG {
		b.note("mcgossip lookups skipped: the engine (provider/mcgossip) or the binary is not available in this tree")
	}
	ns := slices.Clone(cfg.ns)
	if cfg.sections["plugin"] && !cfg.sections["latency"] {
		ns = []int{cfg.pluginN}
	}
	for _, n := range ns {
		b.logf("starting %d responders of each kind", n)
		r, err := b.startResponders(n, haveMCG, cfg.sections["latency"])
		if err != nil {
			r.stop(b)
			return fmt.Errorf("starting %d responders: %w", n, err)
		}
		losses := cfg.losses
		if !cfg.sections["latency"] {
			losses = []int{0}
		}
		for _, loss := range losses {
			r.setLoss(b, loss)
			if cfg.sections["latency"] {
				if haveMCG {
					b.res.Latency = append(b.res.Latency, b.query(r, kindMCG, n, loss, cfg.runs+1, r.expectMCG,
						"-kind", "mcg", "-runs", strconv.Itoa(cfg.runs+1), "-args", mcgArgs))
				}
				mruns := cfg.mdnsRuns
				if loss > 0 {
					mruns = cfg.mdnsLossRuns
				}
				b.res.Latency = append(b.res.Latency, b.query(r, kindMDNS, n, loss, mruns, r.expectMD,
					"-kind", "mdns", "-runs", strconv.Itoa(mruns),
					"-args", "provider=mdns service="+mdnsService+" timeout="+cfg.mdnsTimeout.String()))
				if loss == 0 && cfg.mdnsDefRuns > 0 {
					b.res.Latency = append(b.res.Latency, b.query(r, kindMDNSDef, n, loss, cfg.mdnsDefRuns, r.expectMD,
						"-kind", "mdns", "-runs", strconv.Itoa(cfg.mdnsDefRuns), "-args", "provider=mdns service="+mdnsService))
				}
				if cfg.mdnsLibRuns > 0 {
					b.res.Latency = append(b.res.Latency, b.query(r, kindMDNSLib, n, loss, cfg.mdnsLibRuns, r.expectMD,
						"-kind", "mdnslib", "-runs", strconv.Itoa(cfg.mdnsLibRuns),
						"-args", "service="+mdnsService+" timeout="+cfg.mdnsTimeout.String()))
				}
				if loss == 0 && haveMCG && cfg.cliRuns > 0 {
					b.res.Latency = append(b.res.Latency, b.query(r, kindCLI, n, loss, cfg.cliRuns, r.expectMCG,
						"-kind", "cli", "-runs", strconv.Itoa(cfg.cliRuns), "-bin", b.bin, "-args", mcgArgs))
				}
			}
			if loss == 0 && n == cfg.pluginN && cfg.sections["plugin"] {
				b.runPlugin(r)
			}
		}
		r.stop(b)
	}
	return nil
}
