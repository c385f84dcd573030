package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/mcgossip/go-discover-mcgossip/internal/lab"
)

// config is what the command line chooses.
type config struct {
	out          string
	ns           []int
	lanNs        []int // the lan rows' responder counts
	losses       []int
	runs         int // mcgossip cold lookups per cell
	mdnsRuns     int // mdns lookups per cell without loss
	mdnsLossRuns int // mdns lookups per cell with loss
	mdnsDefRuns  int // mdns lookups with the provider's defaults (5 s each)
	mdnsLibRuns  int // hashicorp/mdns lookups with a buffered channel
	cliRuns      int
	mdnsTimeout  time.Duration
	hosts        int // responder hosts
	idle         time.Duration
	floodRate    int
	floodDur     time.Duration
	floodN       int
	rfloodHosts  int // responder hosts of the responder flood
	pluginN      int
	pluginRuns   int
	benchtime    string
	sections     map[string]bool
	keep         bool
	quick        bool
}

// bench is one run of the orchestrator.
type bench struct {
	cfg   config
	root  string // the repository
	self  string // this program, started as workers
	bin   string // go-discover-mcgossip, default build
	work  string // temporary directory: logs, binaries
	netns string // this process's network namespace
	lab   *lab.Lab
	res   *results
	// lanLab is the dual-stack lab of the lan section, while it runs.
	lanLab *lab.Lab

	mu       sync.Mutex
	running  []*worker
	stopping bool // teardown began: start nothing more
}

// Host roles in the lab.
const (
	hostQuerier   = 1 // runs every lookup (the victim of the flood)
	hostFlooder   = 2
	hostResponder = 3 // first of cfg.hosts responder hosts
)

// Multicast groups: discovery uses mcgossip's default group; the idle
// agent of the footprint has a group of its own so that the lookups of
// the other sections never reach it.
const (
	mcgGroup           = "230.1.1.251:45892"
	footprintAddr      = "230.1.1.252"
	footprintPort      = "45900"
	footprintAloneAddr = "230.1.1.253"
	footprintAlonePort = "45901"
	benchCookie        = "bench-cookie-correct-horse-battery"
	mcgPortBase        = 30000 // port advertised by mcgossip engine i of a host: base+i
	mdnsPortBase       = 20000
	settleAfterRun     = 50 * time.Millisecond
)

func parseConfig(args []string) (config, error) {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	var c config
	var ns, lanNs, losses, sections string
	var quick bool
	fs.StringVar(&c.out, "out", "BENCHMARKS.md", "report to write (relative to the repository root)")
	fs.StringVar(&ns, "n", "1,10,50,200,1000,2000", "responder counts (-quick: 1,10,50 unless given)")
	fs.StringVar(&lanNs, "lan-n", "1,10,50,200", "responder counts of the lan rows (IPv4, IPv6, broadcast side by side; the latency rows go to 2000)")
	fs.StringVar(&losses, "loss", "0,10,30", "loss percentages")
	fs.IntVar(&c.runs, "runs", 20, "mcgossip cold lookups per cell")
	fs.IntVar(&c.mdnsRuns, "mdns-runs", 5, "mdns lookups per cell without loss")
	fs.IntVar(&c.mdnsLossRuns, "mdns-loss-runs", 3, "mdns lookups per cell with loss")
	fs.IntVar(&c.mdnsDefRuns, "mdns-default-runs", 1, "mdns lookups with the provider's default 5s timeout, per N")
	fs.IntVar(&c.mdnsLibRuns, "mdns-lib-runs", 3, "hashicorp/mdns Query lookups with a buffered entries channel, per N")
	fs.IntVar(&c.cliRuns, "cli-runs", 5, "one-shot `go-discover-mcgossip addrs` processes per N")
	fs.DurationVar(&c.mdnsTimeout, "mdns-timeout", time.Second, "the short mdns timeout")
	fs.IntVar(&c.hosts, "hosts", 20, "lab hosts the responders share")
	fs.DurationVar(&c.idle, "idle", time.Minute, "idle window of the footprint")
	fs.IntVar(&c.floodRate, "flood-rate", 100_000, "flood datagrams per second")
	fs.DurationVar(&c.floodDur, "flood-dur", 6*time.Second, "measured window of each flood phase")
	fs.IntVar(&c.floodN, "flood-n", 10, "responders during the flood")
	fs.IntVar(&c.rfloodHosts, "rflood-hosts", 2, "hosts the responders share in the responder flood (rflood)")
	fs.IntVar(&c.pluginN, "plugin-n", 10, "responders during the plugin measurement")
	fs.IntVar(&c.pluginRuns, "plugin-runs", 15, "cold and warm lookups per path in the plugin measurement")
	fs.StringVar(&c.benchtime, "benchtime", "1s", "go test -benchtime for the codec benchmarks")
	fs.StringVar(&sections, "sections", "latency,lan,codec,flood,rflood,plugin,footprint", "sections to run")
	fs.BoolVar(&quick, "quick", false, "fewer runs and shorter windows (a smoke test, not for the report)")
	fs.BoolVar(&c.keep, "keep", false, "keep the work directory (logs)")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if quick && !flagSet(fs, "n") {
		ns = "1,10,50"
	}
	if quick && !flagSet(fs, "lan-n") {
		lanNs = "1,10,50"
	}
	var err error
	if c.ns, err = intList(ns); err != nil {
		return c, fmt.Errorf("-n: %w", err)
	}
	if c.lanNs, err = intList(lanNs); err != nil {
		return c, fmt.Errorf("-lan-n: %w", err)
	}
	if c.losses, err = intList(losses); err != nil {
		return c, fmt.Errorf("-loss: %w", err)
	}
	c.sections = map[string]bool{}
	for _, s := range strings.Split(sections, ",") {
		switch s = strings.TrimSpace(s); s {
		case "latency", "lan", "codec", "flood", "rflood", "plugin", "footprint":
			c.sections[s] = true
		case "":
		default:
			return c, fmt.Errorf("-sections: unknown section %q (have latency, lan, codec, flood, rflood, plugin, footprint)", s)
		}
	}
	if quick {
		c.quick = true
		c.runs, c.mdnsRuns, c.mdnsLossRuns, c.cliRuns, c.pluginRuns, c.mdnsLibRuns = 5, 3, 2, 2, 4, 1
		c.idle, c.floodDur, c.benchtime = 10*time.Second, 3*time.Second, "200ms"
	}
	return c, nil
}

func intList(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		v, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || v < 0 {
			return nil, fmt.Errorf("%q is not a list of non-negative integers", s)
		}
		out = append(out, v)
	}
	return out, nil
}

// orchestrate runs the benchmarks and writes the report.
func orchestrate(args []string) error {
	cfg, err := parseConfig(args)
	if err != nil {
		return err
	}
	b := &bench{cfg: cfg, res: &results{Start: time.Now(), Command: commandLine(args)}}
	if b.root, err = lab.RepoRoot(); err != nil {
		return err
	}
	if b.self, err = os.Executable(); err != nil {
		return err
	}
	if b.netns, err = netnsID("self"); err != nil {
		return err
	}
	if b.work, err = os.MkdirTemp("", "mcgbench-"); err != nil {
		return err
	}
	b.res.Machine = machine()
	b.res.Config = cfg

	// Ctrl-C, SIGTERM, SIGHUP: tear the lab down (which kills every
	// worker in it), then exit.
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
	go func() {
		s := <-sigs
		fmt.Fprintf(os.Stderr, "\nbench: %v: closing the lab\n", s)
		b.teardown()
		os.Exit(130)
	}()
	defer b.teardown()

	if err := b.run(); err != nil {
		fmt.Fprintf(os.Stderr, "bench: logs kept in %s\n", b.work)
		b.cfg.keep = true
		return err
	}
	return nil
}

// teardown stops the workers, closes the lab and removes the work
// directory (unless kept). Safe to call more than once.
func (b *bench) teardown() {
	b.mu.Lock()
	b.stopping = true
	ws := b.running
	b.running = nil
	l := b.lab // kept: the main goroutine may still use it; Close is idempotent
	lanLab := b.lanLab
	b.mu.Unlock()
	for _, w := range ws {
		select {
		case <-w.done:
		default:
			_ = w.cmd.Process.Kill()
		}
	}
	if l != nil {
		if err := l.Close(); err != nil {
			fmt.Fprintf(os.Stderr, "bench: closing the lab: %v\n", err)
		}
	}
	if lanLab != nil {
		_ = lanLab.Close()
	}
	if !b.cfg.keep && b.work != "" {
		_ = os.RemoveAll(b.work)
	}
}

// track remembers a worker so teardown can kill it.
func (b *bench) track(w *worker) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.running = append(b.running, w)
}

// logf prints progress on standard error.
func (b *bench) logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "bench %6.1fs: %s\n", time.Since(b.res.Start).Seconds(), fmt.Sprintf(format, args...))
}

// note records a problem worth stating in the report and prints it.
func (b *bench) note(format string, args ...any) {
	s := fmt.Sprintf(format, args...)
	b.mu.Lock()
	b.res.Notes = append(b.res.Notes, s)
	b.mu.Unlock()
	b.logf("NOTE: %s", s)
}

func (b *bench) run() error {
	cfg := b.cfg
	b.res.LoadStart = sampleLoad()
	b.logf("other load on the machine: %.0f%% of its CPU capacity busy", 100*b.res.LoadStart)
	b.logf("building go-discover-mcgossip")
	b.buildBinaries()

	needLab := cfg.sections["latency"] || cfg.sections["flood"] || cfg.sections["rflood"] || cfg.sections["plugin"] || cfg.sections["footprint"]
	var footprint chan struct{}
	if needLab {
		n := hostResponder - 1 + cfg.hosts + 3 // querier, flooder, responders, footprint agents and peers
		b.logf("starting a lab of %d hosts", n)
		l, err := lab.Start(n, lab.NoSignalHandler())
		if err != nil {
			return fmt.Errorf("starting the lab: %w", err)
		}
		b.mu.Lock()
		b.lab = l
		b.mu.Unlock()
		if cfg.sections["footprint"] {
			// The idle agent lives in its own group on its own hosts; it
			// runs while the other sections do, which does not change
			// its own CPU time.
			footprint = make(chan struct{})
			go func() {
				defer close(footprint)
				b.runFootprint()
			}()
		}
	}
	if cfg.sections["codec"] {
		b.runCodec()
	}
	if cfg.sections["latency"] || cfg.sections["plugin"] {
		if err := b.runLatency(); err != nil {
			return err
		}
	}
	if cfg.sections["lan"] {
		if err := b.runLAN(); err != nil {
			return err
		}
	}
	if cfg.sections["flood"] || cfg.sections["rflood"] {
		if footprint != nil {
			// The floods cut every host they do not use off the LAN.
			<-footprint
			footprint = nil
		}
	}
	if cfg.sections["flood"] {
		if err := b.runFlood(); err != nil {
			return err
		}
	}
	if cfg.sections["rflood"] {
		if err := b.runFloodResponders(); err != nil {
			return err
		}
	}
	if footprint != nil {
		b.logf("waiting for the footprint window to end")
		<-footprint
	}
	b.res.LoadEnd = sampleLoad()
	b.res.Elapsed = time.Since(b.res.Start)
	out := cfg.out
	if !filepath.IsAbs(out) {
		out = filepath.Join(b.root, out)
	}
	if cfg.sections["latency"] {
		plots, err := b.res.writePlots(out)
		if err != nil {
			b.note("the plots: %v", err)
		}
		b.res.Plots = plots
	}
	if err := os.WriteFile(out, []byte(b.res.markdown()), 0o644); err != nil {
		return err
	}
	b.logf("wrote %s", out)
	fmt.Print(b.res.summary())
	return nil
}

// buildBinaries builds go-discover-mcgossip twice: the default build (run
// by the benchmarks) and with -ldflags="-s -w" (for its size).
func (b *bench) buildBinaries() {
	build := func(out string, extra ...string) error {
		args := append(append([]string{"build"}, extra...), "-o", out, ".")
		cmd := exec.Command("go", args...)
		cmd.Dir = b.root
		msg, err := cmd.CombinedOutput()
		if err != nil {
			return fmt.Errorf("go %s: %v\n%s", strings.Join(args, " "), err, lastLines(string(msg), 10))
		}
		return nil
	}
	p := filepath.Join(b.work, "go-discover-mcgossip")
	if err := build(p); err != nil {
		b.note("the go-discover-mcgossip binary does not build, so the sections that run it are skipped: %v", err)
		return
	}
	b.bin = p
	b.res.Size.Default = fileSize(p)
	s := filepath.Join(b.work, "go-discover-mcgossip-stripped")
	if err := build(s, "-ldflags=-s -w"); err != nil {
		b.note("the -s -w build failed: %v", err)
		return
	}
	b.res.Size.Stripped = fileSize(s)
}

func fileSize(p string) int64 {
	st, err := os.Stat(p)
	if err != nil {
		return 0
	}
	return st.Size()
}

// commandLine returns how the report was produced.
func commandLine(args []string) string {
	s := "go run ./test/bench"
	if len(args) > 0 {
		s += " " + strings.Join(args, " ")
	}
	return s
}

// machineInfo describes where the benchmarks ran.
type machineInfo struct {
	CPU    string
	Cores  int
	Kernel string
	Go     string
	MemGB  float64
	Commit string
}

func machine() machineInfo {
	m := machineInfo{Cores: runtime.NumCPU(), Go: runtime.Version()}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPU = strings.TrimSpace(v)
				break
			}
		}
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = strings.TrimSpace(string(b))
	}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		var kb float64
		if _, err := fmt.Sscanf(string(b), "MemTotal: %f kB", &kb); err == nil {
			m.MemGB = kb / (1 << 20)
		}
	}
	if out, err := exec.Command("git", "rev-parse", "--short", "HEAD").Output(); err == nil {
		m.Commit = strings.TrimSpace(string(out))
		if st, err := exec.Command("git", "status", "--porcelain", "--untracked-files=no").Output(); err == nil && len(st) > 0 {
			m.Commit += " (with uncommitted changes)"
		}
	}
	return m
}

// host returns lab host i.
func (b *bench) host(i int) *lab.Host { return b.lab.Host(i) }

// runCodec runs the Go benchmarks of the codec, the engine and the plugin.
func (b *bench) runCodec() {
	var env []string
	if b.bin != "" {
		env = append(env, lab.BinaryEnv+"="+b.bin)
	}
	// The plugin's benchmarks load the real binary, so they live in the
	// test module (test/plugintest).
	for _, p := range []struct{ dir, pkg string }{
		{".", "./provider/mcgossip/wire"}, {".", "./provider/mcgossip"}, {"test", "./plugintest"},
	} {
		pkg := p.pkg
		b.logf("go test -bench %s (in %s)", pkg, p.dir)
		r := runGoBench(context.Background(), filepath.Join(b.root, p.dir), pkg, b.cfg.benchtime, env)
		if r.Err != "" {
			b.note("benchmarks of %s failed: %s", pkg, firstLine(r.Err))
			b.logf("%s", r.Err)
		} else if len(r.Results) == 0 {
			b.note("%s has no Go benchmarks yet", pkg)
		}
		b.res.Codec = append(b.res.Codec, r)
	}
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

// sampleLoad returns the share of the machine's CPU capacity in use over
// two seconds: the load of other processes, when sampled while this run
// does nothing.
func sampleLoad() float64 {
	s0, err := readCPUStat()
	if err != nil {
		return -1
	}
	time.Sleep(2 * time.Second)
	s1, err := readCPUStat()
	if err != nil {
		return -1
	}
	busy, _ := s1.busy(s0)
	return busy
}

// flagSet reports whether the flag name was given on the command line.
func flagSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}
