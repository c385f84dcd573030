package main

import (
	"context"
	"fmt"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"time"
)

// floodRow is one phase of the flood section.
type floodRow struct {
	Mode       string  // "none" or a flood mode
	Sent       uint64  // datagrams the flooder sent
	SendRate   float64 // per second, over the flooder's window
	Received   uint64  // UDP datagrams delivered to the victim's sockets (its namespace)
	BufDrops   uint64  // dropped by the kernel because a socket buffer was full
	VictimCPU  float64 // share of one core the victim process used
	WallMs     float64
	Lookup     latencyRow
	FlooderCPU float64 // share of one core the flooder process used
	VictimSys  float64 // share of the victim's CPU spent in the kernel (stime)
	Busy       float64 // share of the machine's CPU capacity (all cores) in use
	Softirq    float64 // share of it spent in softirq
	Err        string
}

// runFlood measures the victim (the querier host, doing cold lookups back
// to back) while a flooder host sends each kind of bad traffic to the
// group. Only the victim, the flooder and the host with the responders
// stay on the LAN, and the responders' host drops the flooder's packets at
// ingress: in a real LAN they would be other machines, here they would
// share the victim's two cores.
func (b *bench) runFlood() error {
	if b.bin == "" || workers["serve-mcg"] == nil || queryKinds["mcg"] == nil {
		b.note("flood skipped: the engine (provider/mcgossip) is not available in this tree")
		return nil
	}
	cfg := b.cfg
	respHost := b.host(hostResponder)
	flooder := b.host(hostFlooder)
	reconnect, err := b.isolate(hostQuerier, hostFlooder, respHost.Index)
	defer reconnect()
	if err != nil {
		return err
	}
	rule := fmt.Sprintf("table netdev mcgbench {\n"+
		"\tchain ingress {\n\t\ttype filter hook ingress device \"eth0\" priority -500; policy accept;\n"+
		"\t\tip saddr %s counter drop\n\t}\n}\n", flooder.Addr)
	if err := runWithStdin(respHost.Command(context.Background(), "nft", "-f", "-"), rule); err != nil {
		return fmt.Errorf("filtering the flood on %s: %w", respHost.Name, err)
	}
	defer func() {
		_ = runWithStdin(respHost.Command(context.Background(), "nft", "-f", "-"), "table netdev mcgbench\ndelete table netdev mcgbench\n")
	}()

	args := "provider=mcgossip cookie=" + benchCookie
	resp, err := b.startWorker(respHost, "serve-mcg-flood", "serve-mcg", "-n", strconv.Itoa(cfg.floodN),
		"-port", strconv.Itoa(mcgPortBase), "-addr", respHost.Addr.String(), "-args", "cookie="+benchCookie)
	if err != nil {
		return err
	}
	defer func() { _ = resp.stop(10 * time.Second) }()
	if err := resp.waitReady(60 * time.Second); err != nil {
		return err
	}
	expect := map[string]bool{}
	for j := range cfg.floodN {
		expect[fmt.Sprintf("%s:%d", respHost.Addr, mcgPortBase+j)] = true
	}
	time.Sleep(time.Second)

	for _, mode := range []string{"none", floodGarbage, floodForeign, floodForged} {
		row := floodRow{Mode: mode}
		var fw *worker
		if mode != "none" {
			fw, err = b.startWorker(flooder, "flood-"+mode, "flood", "-mode", mode, "-rate", strconv.Itoa(cfg.floodRate),
				"-dur", (cfg.floodDur + 4*time.Second).String(), "-group", mcgGroup, "-cookie", benchCookie)
			if err != nil {
				return err
			}
			if err := fw.waitReady(30 * time.Second); err != nil {
				return err
			}
			time.Sleep(500 * time.Millisecond)
		}
		vw, err := b.startWorker(b.host(hostQuerier), "victim-"+mode, "victim", "-dur", cfg.floodDur.String(),
			"-args", args, "-cookie", benchCookie)
		if err != nil {
			return err
		}
		msgs, err := vw.collect(cfg.floodDur + 60*time.Second)
		if err != nil {
			row.Err = err.Error()
			b.note("flood %s: the victim failed: %s", mode, firstLine(row.Err))
		}
		row.Lookup = lookupRow(kindMCG, cfg.floodN, 0, msgs, expect)
		for _, m := range msgs {
			if m.Type == "result" {
				row.WallMs = m.WallMs
				if m.WallMs > 0 {
					row.VictimCPU = m.CPUms / m.WallMs
				}
				if m.CPUms > 0 {
					row.VictimSys = m.Metrics["sys_ms"] / m.CPUms
				}
				row.Busy, row.Softirq = m.Metrics["machine_busy"], m.Metrics["machine_softirq"]
				if m.UDP != nil {
					row.Received, row.BufDrops = m.UDP.InDatagrams, m.UDP.RcvbufErrors
				}
			}
		}
		if fw != nil {
			fmsgs, err := fw.collect(cfg.floodDur + 60*time.Second)
			if err != nil {
				b.note("flood %s: the flooder failed: %s", mode, firstLine(err.Error()))
			}
			for _, m := range fmsgs {
				if m.Type == "result" && m.WallMs > 0 {
					row.Sent = m.Sent
					row.SendRate = float64(m.Sent) / (m.WallMs / 1000)
					row.FlooderCPU = m.CPUms / m.WallMs
				}
			}
		}
		b.logf("flood %-8s: sent %6.0f/s, victim got %6.0f/s (%d buffer drops), victim CPU %5.1f%% of a core, machine %3.0f%% busy (%2.0f%% softirq), lookup median %.1f ms p95 %.1f ms, found %.1f%% (all in %d/%d)",
			mode, row.SendRate, float64(row.Received)/max(row.WallMs/1000, 1e-9), row.BufDrops, 100*row.VictimCPU, 100*row.Busy, 100*row.Softirq,
			ms(row.Lookup.Sum.Median), ms(row.Lookup.Sum.P95), 100*row.Lookup.meanShare(), row.Lookup.allFound(), len(row.Lookup.Shares))
		b.res.Flood = append(b.res.Flood, row)
	}
	return nil
}

// isolate cuts every host but keep off the bridge, so that the bridge does
// not copy a flood to them (they would share the machine's cores), and
// returns what reconnects them.
func (b *bench) isolate(keep ...int) (reconnect func(), err error) {
	var cut []int
	reconnect = func() {
		for _, i := range cut {
			if err := b.host(i).SetLink(true); err != nil {
				b.logf("reconnecting %s: %v", b.host(i).Name, err)
			}
		}
	}
	for _, h := range b.lab.Hosts() {
		if !slices.Contains(keep, h.Index) {
			if err := h.SetLink(false); err != nil {
				return reconnect, err
			}
			cut = append(cut, h.Index)
		}
	}
	return reconnect, nil
}

// lookupRow summarizes the "run" messages of a worker.
func lookupRow(kind string, n, loss int, msgs []message, expect map[string]bool) latencyRow {
	row := latencyRow{Kind: kind, N: n, Loss: loss}
	var ds []time.Duration
	for _, m := range msgs {
		if m.Type != "run" {
			continue
		}
		if m.Err != "" {
			row.Errors++
			if row.Err == "" {
				row.Err = m.Err
			}
		}
		found := 0
		for _, a := range m.Addrs {
			if expect[a] {
				found++
			} else {
				row.Extra++
			}
		}
		ds = append(ds, time.Duration(m.Ms*float64(time.Millisecond)))
		row.Ms = append(row.Ms, m.Ms)
		row.Shares = append(row.Shares, float64(found)/float64(max(1, len(expect))))
	}
	row.Sum = summarize(ds)
	return row
}

// runWithStdin runs cmd with the given standard input and returns an error
// carrying its output.
func runWithStdin(cmd *exec.Cmd, stdin string) error {
	cmd.Stdin = strings.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s: %w: %s", strings.Join(cmd.Args, " "), err, strings.TrimSpace(string(out)))
	}
	return nil
}
