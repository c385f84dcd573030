package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/mcgossip/go-discover-mcgossip/internal/lab"
)

// footprintResult is the footprint section.
type footprintResult struct {
	Window time.Duration // the idle window measured
	CPU    time.Duration // utime+stime the agent used in it
	RSS    int64         // VmRSS at the end of the window
	HWM    int64         // VmHWM (peak RSS)
	Peers  int           // peers announcing in the agent's group
	Alive  bool          // whether the agent process was alive throughout
	// OnCPU is the agent's on-CPU time in the window by the scheduler's
	// nanosecond counters (schedstat), Sleeps its threads' voluntary
	// context switches (wake-ups) in it.
	OnCPU  time.Duration
	Sleeps uint64
	// Datagrams is how many UDP datagrams the kernel delivered to sockets
	// in the agent's namespace (its host: the agent's alone) in the
	// window, from /proc/<pid>/net/snmp; 0 when unknown.
	Datagrams uint64
	// Syscalls counts the system calls of the agent over a short strace
	// after the window, by name (empty when strace is not installed).
	Syscalls       []syscallCount
	SyscallsWindow time.Duration
	Err            string
}

// syscallCount is one line of `strace -c`.
type syscallCount struct {
	Name  string
	Calls int
}

// binarySize is the size of go-discover-mcgossip.
type binarySize struct {
	Default  int64
	Stripped int64 // -ldflags="-s -w"
}

// footprintPeers is how many peers keep the idle agent company.
const footprintPeers = 10

// runFootprint measures two idle agents over the same window: one with
// footprintPeers engines of another host announcing in its group, one
// alone in a group of its own. Each is `go-discover-mcgossip agent` with
// its defaults but the group; after a warm-up its CPU time is read from
// /proc/<pid>/stat at both ends of the idle window, and its RSS from
// /proc/<pid>/status at the end.
func (b *bench) runFootprint() {
	with := &footprintResult{Window: b.cfg.idle, Peers: footprintPeers}
	alone := &footprintResult{Window: b.cfg.idle}
	b.res.Footprint, b.res.FootprintAlone = with, alone
	if b.bin == "" || workers["serve-mcg"] == nil {
		with.Err = "the engine (provider/mcgossip) or the binary is not available in this tree"
		alone.Err = with.Err
		return
	}
	base := hostResponder + b.cfg.hosts
	agentHost, peerHost, aloneHost := b.host(base), b.host(base+1), b.host(base+2)
	group := "multicast_addr=" + footprintAddr + " port=" + footprintPort
	peers, err := b.startWorker(peerHost, "footprint-peers", "serve-mcg", "-n", strconv.Itoa(footprintPeers),
		"-port", strconv.Itoa(mcgPortBase), "-addr", peerHost.Addr.String(), "-args", group)
	if err != nil {
		with.Err = err.Error()
		return
	}
	defer func() { _ = peers.stop(10 * time.Second) }()
	if err := peers.waitReady(60 * time.Second); err != nil {
		with.Err = err.Error()
		return
	}
	var wg sync.WaitGroup
	wg.Go(func() { b.idleAgent(with, agentHost, "footprint-agent", footprintAddr, footprintPort) })
	wg.Go(func() { b.idleAgent(alone, aloneHost, "footprint-alone", footprintAloneAddr, footprintAlonePort) })
	wg.Wait()
	for _, f := range []*footprintResult{with, alone} {
		if f.Err != "" {
			b.note("footprint: %s", f.Err)
		}
	}
}

// idleAgent starts an agent in host h's group and measures it into f.
func (b *bench) idleAgent(f *footprintResult, h *lab.Host, name, addr, port string) {
	agent, err := b.startProcess(h, name, b.bin, "agent", "-log-level", "warn",
		"multicast_addr="+addr, "port="+port)
	if err != nil {
		f.Err = err.Error()
		return
	}
	defer func() { _ = agent.stop(10 * time.Second) }()
	pid := agent.pid()
	// `ip netns exec` execs the agent in place: check that the pid is the
	// agent's before trusting its counters.
	isAgent := func() bool {
		exe, err := os.Readlink("/proc/" + pid + "/exe")
		return err == nil && filepath.Base(exe) == filepath.Base(b.bin)
	}
	if !isAgent() {
		time.Sleep(200 * time.Millisecond)
		if !isAgent() {
			f.Err = "the process " + pid + " is not the agent"
			return
		}
	}
	time.Sleep(5 * time.Second) // the start-up burst and the first answers
	c0, err := cpuTime(pid)
	if err != nil {
		f.Err = err.Error()
		return
	}
	t0, err := readThreadTotals(pid)
	if err != nil {
		f.Err = err.Error()
		return
	}
	u0, uerr := agentUDP(pid)
	time.Sleep(f.Window)
	if u1, err := agentUDP(pid); err == nil && uerr == nil {
		f.Datagrams = u1.InDatagrams - u0.InDatagrams
	}
	c1, err := cpuTime(pid)
	if err != nil {
		f.Err = err.Error()
		return
	}
	t1, err := readThreadTotals(pid)
	if err != nil {
		f.Err = err.Error()
		return
	}
	f.CPU = c1 - c0
	f.OnCPU, f.Sleeps = t1.OnCPU-t0.OnCPU, t1.Sleeps-t0.Sleeps
	f.RSS, f.HWM, err = memStatus(pid)
	if err != nil {
		f.Err = err.Error()
	}
	select {
	case <-agent.done:
		f.Err = name + " exited during the window"
		return
	default:
		f.Alive = true
	}
	f.Syscalls, f.SyscallsWindow = straceCount(pid, 20*time.Second)
	b.logf("footprint: %s used %v CPU in %v, RSS %.1f MiB (peak %.1f MiB)",
		name, f.CPU, f.Window, float64(f.RSS)/(1<<20), float64(f.HWM)/(1<<20))
}

// straceCount attaches `strace -f -c` to process pid for d (after the
// measured window: tracing slows the traced process) and returns the
// system calls it made, most frequent first; nil when strace is missing
// or fails.
func straceCount(pid string, d time.Duration) ([]syscallCount, time.Duration) {
	if _, err := exec.LookPath("strace"); err != nil {
		return nil, 0
	}
	ctx, cancel := context.WithTimeout(context.Background(), d+10*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "timeout", "-s", "INT", strconv.Itoa(int(d.Seconds())), "strace", "-f", "-c", "-p", pid)
	out, _ := cmd.CombinedOutput()
	return parseStraceC(string(out)), d
}

// parseStraceC parses the table `strace -c` prints: "% time seconds
// usecs/call calls [errors] syscall" lines between dashed rules.
func parseStraceC(out string) []syscallCount {
	var res []syscallCount
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) < 5 || f[len(f)-1] == "total" || f[len(f)-1] == "syscall" {
			continue
		}
		if _, err := strconv.ParseFloat(f[0], 64); err != nil {
			continue
		}
		calls, err := strconv.Atoi(f[3])
		if err != nil {
			continue
		}
		res = append(res, syscallCount{Name: f[len(f)-1], Calls: calls})
	}
	slices.SortStableFunc(res, func(a, b syscallCount) int { return b.Calls - a.Calls })
	return res
}

// agentUDP reads the UDP counters of process pid's network namespace.
func agentUDP(pid string) (udpCounters, error) {
	b, err := os.ReadFile("/proc/" + pid + "/net/snmp")
	if err != nil {
		return udpCounters{}, err
	}
	return parseSNMP(b)
}
