package main

import (
	"fmt"
	"strconv"
	"time"
)

// Labels of the plugin worker's runs.
const (
	plugInCold  = "inproc-cold"
	plugOutCold = "plugin-cold"
	plugInWarm  = "inproc-warm"
	plugOutWarm = "plugin-warm"
)

// pluginResult is the plugin section: the same lookups in process and
// through the plugin, interleaved.
type pluginResult struct {
	N    int
	Args string
	Rows map[string]latencyRow
	Err  string
}

// delta returns the difference of the medians of two labels.
func (p *pluginResult) delta(out, in string) time.Duration {
	return p.Rows[out].Sum.Median - p.Rows[in].Sum.Median
}

// runPlugin compares lookups through the plugin (plugin.NewProvider on the
// built binary) with the same lookups in process, against the running
// responders. Cold: a fresh provider (in process: a new engine; plugin: a
// new plugin process, handshake and engine) per lookup. Warm: one provider
// reused. The runs alternate, so drift hits both paths alike.
func (b *bench) runPlugin(r *responders) {
	args := fmt.Sprintf("provider=mcgossip announce=false expect=%d", r.n)
	p := &pluginResult{N: r.n, Args: args, Rows: map[string]latencyRow{}}
	b.res.Plugin = p
	if b.bin == "" || workers["plugin"] == nil {
		p.Err = "the plugin host (plugin.NewProvider) or the binary is not available in this tree"
		b.note("plugin section skipped: %s", p.Err)
		return
	}
	w, err := b.startWorker(b.host(hostQuerier), "plugin", "plugin", "-bin", b.bin,
		"-runs", strconv.Itoa(b.cfg.pluginRuns), "-args", args)
	if err != nil {
		p.Err = err.Error()
		return
	}
	msgs, err := w.collect(time.Duration(b.cfg.pluginRuns)*4*10*time.Second + time.Minute)
	if err != nil {
		p.Err = err.Error()
		b.note("plugin section: %s", firstLine(p.Err))
	}
	byLabel := map[string][]message{}
	for _, m := range msgs {
		if m.Type == "run" {
			byLabel[m.Label] = append(byLabel[m.Label], m)
		}
	}
	for _, l := range []string{plugInCold, plugOutCold, plugInWarm, plugOutWarm} {
		row := lookupRow(l, r.n, 0, byLabel[l], r.expectMCG)
		p.Rows[l] = row
		b.logf("plugin %-12s median %7.2f ms  p95 %7.2f ms  found %5.1f%%%s", l, ms(row.Sum.Median), ms(row.Sum.P95), 100*row.meanShare(), errSuffix(row))
	}
}
