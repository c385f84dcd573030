package main

import (
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/mcgossip/go-discover-mcgossip/internal/lab"
)

// The rows of the "lan" section (issue 13): the same cold lookups as the
// latency table's mcgossip ones, over IPv4 multicast, IPv6 multicast
// (family=ipv6, the default group ff02::114) and IPv4 broadcast
// (broadcast_only=true), on a dual-stack lab of their own, so that the
// three compare under the same conditions. IPv6 multicast and broadcast
// stay in that lab's namespaces like everything else.
const (
	kindLAN4  = "lan-ipv4"
	kindLAN6  = "lan-ipv6"
	kindLANBC = "lan-broadcast"
)

// lanKind is one way of finding peers the lan section measures.
type lanKind struct {
	kind, label string
	args        string // the responders' and the lookups' keys, besides provider=mcgossip
	v6          bool   // the responders advertise their IPv6 address
}

var lanKinds = []lanKind{
	{kindLAN4, "IPv4 multicast", "", false},
	{kindLAN6, "IPv6 multicast", "family=ipv6", true},
	{kindLANBC, "IPv4 broadcast", "broadcast_only=true", false},
}

// runLAN fills the lan rows: for each responder count, each kind's
// responders start (mcgossip engines, engine i of a host advertising its
// address with port 30000+i), and a query worker on host 1 does cold
// lookups at each loss.
func (b *bench) runLAN() error {
	cfg := b.cfg
	if b.bin == "" || workers["serve-mcg"] == nil {
		b.note("the lan rows were skipped: the engine or the binary is not available in this tree")
		return nil
	}
	b.logf("starting a dual-stack lab of %d hosts for the lan rows", 1+cfg.hosts)
	l, err := lab.Start(1+cfg.hosts, lab.NoSignalHandler(), lab.WithFamily(lab.DualStack))
	if err != nil {
		return fmt.Errorf("starting the lan rows' lab: %w", err)
	}
	b.mu.Lock()
	b.lanLab = l
	b.mu.Unlock()
	defer l.Close()
	for _, n := range cfg.lanNs {
		for _, k := range lanKinds {
			r, err := b.startLANResponders(l, n, k)
			if err != nil {
				r.stop(b)
				return fmt.Errorf("starting %d responders (%s): %w", n, k.label, err)
			}
			for _, loss := range cfg.losses {
				r.setLoss(b, loss)
				b.res.LAN = append(b.res.LAN, b.lanQuery(l.Host(1), k, n, loss, r.expectMCG))
			}
			r.stop(b)
		}
	}
	return nil
}

// startLANResponders starts n responders of kind k on the lab's hosts 2
// and on, one worker per host running that host's share.
func (b *bench) startLANResponders(l *lab.Lab, n int, k lanKind) (*responders, error) {
	r := &responders{n: n, expectMCG: map[string]bool{}, interval: responderInterval(n)}
	for i, c := range spread(n, len(l.Hosts())-1) {
		h := l.Host(2 + i)
		r.hosts = append(r.hosts, h)
		addr, advertised := h.Addr.String(), h.Addr
		if k.v6 {
			addr, advertised = "["+h.Addr6.String()+"]", h.Addr6
		}
		w, err := b.startWorker(h, fmt.Sprintf("serve-mcg-%s-n%d-h%d", k.kind, n, h.Index), "serve-mcg", "-n", strconv.Itoa(c),
			"-port", strconv.Itoa(mcgPortBase), "-addr", addr, "-args", strings.TrimSpace(k.args+" interval="+r.interval.String()),
			"-group", strconv.Itoa(n))
		if err != nil {
			return r, err
		}
		r.workers = append(r.workers, w)
		for j := range c {
			r.expectMCG[netip.AddrPortFrom(advertised, uint16(mcgPortBase+j)).String()] = true
		}
	}
	for _, w := range r.workers {
		if err := w.waitReady(60 * time.Second); err != nil {
			return r, err
		}
	}
	// As for the latency rows: the start-up bursts pass, every engine
	// knows the whole group, and the start-up's CPU use is over.
	time.Sleep(1500 * time.Millisecond)
	b.waitViews(r)
	b.settle(r)
	return r, nil
}

// lanQuery runs cfg.runs cold lookups of kind k from host h (one more
// first, which derives the cookie's key and is not counted) and returns
// their row.
func (b *bench) lanQuery(h *lab.Host, k lanKind, n, loss int, expect map[string]bool) latencyRow {
	runs := b.cfg.runs + 1
	row := latencyRow{Kind: k.kind, N: n, Loss: loss}
	w, err := b.startWorker(h, fmt.Sprintf("query-%s-n%d-l%d", k.kind, n, loss), "query", "-kind", "mcg",
		"-runs", strconv.Itoa(runs), "-args", "provider=mcgossip "+k.args)
	if err != nil {
		row.Errors, row.Err = runs, err.Error()
		return row
	}
	msgs, collectErr := w.collect(time.Duration(runs)*15*time.Second + 30*time.Second)
	if i := slices.IndexFunc(msgs, func(m message) bool { return m.Type == "run" }); i >= 0 {
		msgs = slices.Delete(slices.Clone(msgs), i, i+1)
	}
	row = lookupRow(k.kind, n, loss, msgs, expect)
	if collectErr != nil {
		row.Err = collectErr.Error()
	}
	b.logf("%-14s N=%-3d loss=%2d%%: median %7.1f ms  p95 %7.1f ms  found %5.1f%% (all in %d/%d runs)%s",
		k.kind, n, loss, ms(row.Sum.Median), ms(row.Sum.P95), 100*row.meanShare(), row.allFound(), len(row.Shares), errSuffix(row))
	return row
}

// lanRow returns the lan row of a kind, N and loss.
func (r *results) lanRow(kind string, n, loss int) (latencyRow, bool) {
	for _, x := range r.LAN {
		if x.Kind == kind && x.N == n && x.Loss == loss {
			return x, true
		}
	}
	return latencyRow{}, false
}

// writeLAN renders the lan rows.
func (r *results) writeLAN(w func(string, ...any)) {
	c := r.Config
	if !c.sections["lan"] || len(r.LAN) == 0 {
		return
	}
	w("## Every LAN: IPv6 multicast and broadcast\n\n")
	w("Cold lookups from host 1 against N responders, as in the latency table (%d a cell, a fresh provider each),\n", c.runs)
	w("on a dual-stack lab of its own: IPv4 multicast (`provider=mcgossip`), IPv6 multicast (`family=ipv6`, group\n")
	w("ff02::114) and IPv4 broadcast (`broadcast_only=true`, to the subnet's broadcast address). *Loss* and *found*\n")
	w("as in the latency table (loss applies to IPv4 and IPv6 alike). The responders start, reach complete views and\n")
	w("settle as there; N stops at %d here (`-lan-n`), where the three compare, and the latency table takes IPv4 multicast\n", slices.Max(c.lanNs))
	w("on to N = %d.\n\n", slices.Max(c.ns))
	w("| N | loss |")
	for _, k := range lanKinds {
		w(" %s median | p95 | found |", k.label)
	}
	w("\n|---:|---:|")
	for range lanKinds {
		w("---:|---:|---:|")
	}
	w("\n")
	for _, n := range c.lanNs {
		for _, loss := range c.losses {
			w("| %d | %d%% |", n, loss)
			for _, k := range lanKinds {
				x, ok := r.lanRow(k.kind, n, loss)
				w(" %s | %s | %s |", cellMs(x, ok, median), cellMs(x, ok, p95), foundOK(x, ok))
			}
			w("\n")
		}
	}
	w("\n")
}
