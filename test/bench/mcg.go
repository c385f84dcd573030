package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"strconv"
	"time"

	"github.com/mcgossip/go-discover-mcgossip/plugin"
	"github.com/mcgossip/go-discover-mcgossip/provider/mcgossip"
	"github.com/mcgossip/go-discover-mcgossip/provider/mcgossip/wire"
)

func init() {
	workers["serve-mcg"] = workServeMCG
	workers["victim"] = workVictim
	workers["plugin"] = workPlugin
	queryKinds["mcg"] = func(args map[string]string) (func() ([]string, error), error) {
		return func() ([]string, error) { return coldAddrs(args) }, nil
	}
}

// quiet discards the engines' log lines; the orchestrator reads results,
// not logs.
var quiet = log.New(io.Discard, "", 0)

// coldAddrs does one lookup with a fresh Provider, so a fresh engine, and
// closes it.
func coldAddrs(args map[string]string) ([]string, error) {
	p := &mcgossip.Provider{}
	addrs, err := p.Addrs(args, quiet)
	if cerr := p.Close(); err == nil && cerr != nil {
		err = cerr
	}
	return addrs, err
}

// workServeMCG runs n mcgossip engines, engine i advertising addr:port+i,
// with the other arguments given, until standard input closes.
func workServeMCG(e *emitter, args []string) error {
	fs := flag.NewFlagSet("serve-mcg", flag.ContinueOnError)
	n := fs.Int("n", 1, "engines")
	port := fs.Int("port", 30000, "port advertised by the first engine")
	addr := fs.String("addr", "", "address the engines advertise")
	extra := fs.String("args", "", "more configuration, k=v separated by spaces")
	group := fs.Int("group", 0, "members of the whole group: once every engine knows the others, say so (a \"views\" message)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	var engines []*mcgossip.Engine
	defer func() {
		for _, en := range engines {
			_ = en.Close()
		}
	}()
	for i := range *n {
		a := parseArgs(*extra)
		a["advertise"] = *addr + ":" + strconv.Itoa(*port+i)
		cfg, err := mcgossip.ParseConfig(a)
		if err != nil {
			return err
		}
		en, err := mcgossip.NewEngine(cfg, quiet)
		if err != nil {
			return fmt.Errorf("engine %d: %w", i, err)
		}
		engines = append(engines, en)
	}
	e.emit(message{Type: "ready"})
	stop := make(chan struct{})
	defer close(stop)
	if *group > 0 {
		go reportViews(e, engines, *group-1, stop) // a group of one: at once
	}
	waitInputClosed()
	return nil
}

// reportViews emits a "views" message once every engine knows peers
// others (or as many as it will: the figures say how far they got), with
// the fewest any engine knows; it checks every half second until stop.
func reportViews(e *emitter, engines []*mcgossip.Engine, peers int, stop <-chan struct{}) {
	tk := time.NewTicker(500 * time.Millisecond)
	defer tk.Stop()
	for {
		fewest := peers
		for _, en := range engines {
			fewest = min(fewest, en.Stats().Peers)
		}
		if fewest >= peers {
			e.emit(message{Type: "views", Metrics: map[string]float64{"fewest": float64(fewest)}})
			return
		}
		select {
		case <-stop:
			return
		case <-tk.C:
		}
	}
}

// workVictim does cold lookups back to back for a window and reports its
// own CPU time and its namespace's UDP counters over that window.
func workVictim(e *emitter, args []string) error {
	fs := flag.NewFlagSet("victim", flag.ContinueOnError)
	dur := fs.Duration("dur", 5*time.Second, "window")
	pargs := fs.String("args", "", "provider arguments")
	cookie := fs.String("cookie", "", "derive this cookie's key before the window (it is cached per process)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	wire.DeriveKey(*cookie)
	a := parseArgs(*pargs)
	u0, err := readUDPCounters()
	if err != nil {
		return err
	}
	uc0, sc0, err := cpuSplit("self")
	if err != nil {
		return err
	}
	m0, err := readCPUStat()
	if err != nil {
		return err
	}
	start := time.Now()
	for time.Since(start) < *dur {
		t0 := time.Now()
		addrs, err := coldAddrs(a)
		m := message{Type: "run", Ms: ms(time.Since(t0)), Addrs: addrs}
		if err != nil {
			m.Err = err.Error()
		}
		e.emit(m)
	}
	wall := time.Since(start)
	uc1, sc1, err := cpuSplit("self")
	if err != nil {
		return err
	}
	u1, err := readUDPCounters()
	if err != nil {
		return err
	}
	m1, err := readCPUStat()
	if err != nil {
		return err
	}
	busy, softirq := m1.busy(m0)
	d := u1.sub(u0)
	e.emit(message{Type: "result", CPUms: ms(uc1 - uc0 + sc1 - sc0), WallMs: ms(wall), UDP: &d,
		Metrics: map[string]float64{"machine_busy": busy, "machine_softirq": softirq, "sys_ms": ms(sc1 - sc0)}})
	return nil
}

// workPlugin alternates the same lookups in process and through the
// plugin, cold (fresh providers) and warm (one provider each).
func workPlugin(e *emitter, args []string) error {
	fs := flag.NewFlagSet("plugin", flag.ContinueOnError)
	bin := fs.String("bin", "", "plugin binary")
	runs := fs.Int("runs", 10, "lookups per path")
	pargs := fs.String("args", "", "provider arguments")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if _, err := os.Stat(*bin); err != nil {
		return err
	}
	a := parseArgs(*pargs)
	timed := func(label string, f func() ([]string, error)) {
		t0 := time.Now()
		addrs, err := f()
		m := message{Type: "run", Label: label, Ms: ms(time.Since(t0)), Addrs: addrs}
		if err != nil {
			m.Err = err.Error()
		}
		e.emit(m)
	}
	pluginCold := func() ([]string, error) {
		p, err := plugin.NewProvider(*bin)
		if err != nil {
			return nil, err
		}
		addrs, err := p.Addrs(a, quiet)
		return addrs, errors.Join(err, p.Close())
	}
	// Cold, alternating.
	for i := range *runs {
		if i%2 == 0 {
			timed(plugInCold, func() ([]string, error) { return coldAddrs(a) })
			time.Sleep(settleAfterRun)
			timed(plugOutCold, pluginCold)
		} else {
			timed(plugOutCold, pluginCold)
			time.Sleep(settleAfterRun)
			timed(plugInCold, func() ([]string, error) { return coldAddrs(a) })
		}
		time.Sleep(settleAfterRun)
	}
	// Warm: one provider each, one warm-up lookup, then alternating.
	in := &mcgossip.Provider{}
	defer in.Close()
	out, err := plugin.NewProvider(*bin)
	if err != nil {
		return err
	}
	defer out.Close()
	if _, err := in.Addrs(a, quiet); err != nil {
		return fmt.Errorf("warm-up in process: %w", err)
	}
	if _, err := out.Addrs(a, quiet); err != nil {
		return fmt.Errorf("warm-up through the plugin: %w", err)
	}
	for range *runs {
		timed(plugInWarm, func() ([]string, error) { return in.Addrs(a, quiet) })
		time.Sleep(settleAfterRun)
		timed(plugOutWarm, func() ([]string, error) { return out.Addrs(a, quiet) })
		time.Sleep(settleAfterRun)
	}
	return nil
}
