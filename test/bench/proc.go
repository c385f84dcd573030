package main

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// clockTick is the length of one USER_HZ tick, the unit of utime and stime
// in /proc/<pid>/stat. Linux fixes USER_HZ at 100 on every architecture
// this project builds for.
const clockTick = 10 * time.Millisecond

// cpuTime returns the user and system CPU time the process pid has used
// (utime+stime of /proc/<pid>/stat; "self" for this process), at the
// resolution of one clock tick.
func cpuTime(pid string) (time.Duration, error) {
	b, err := os.ReadFile("/proc/" + pid + "/stat")
	if err != nil {
		return 0, err
	}
	return parseStatCPU(b)
}

// cpuSplit returns the user and system CPU time of process pid
// (utime and stime of /proc/<pid>/stat).
func cpuSplit(pid string) (user, sys time.Duration, err error) {
	b, err := os.ReadFile("/proc/" + pid + "/stat")
	if err != nil {
		return 0, 0, err
	}
	return parseStatSplit(b)
}

// parseStatCPU returns utime+stime from the text of a /proc/<pid>/stat
// file. The command name (field 2) may hold spaces and parentheses, so the
// fields are counted after its last ')'.
func parseStatCPU(b []byte) (time.Duration, error) {
	u, s, err := parseStatSplit(b)
	return u + s, err
}

// parseStatSplit returns utime and stime from the text of a
// /proc/<pid>/stat file.
func parseStatSplit(b []byte) (user, sys time.Duration, err error) {
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, 0, fmt.Errorf("parsing /proc stat: no ')' in %q", b)
	}
	f := strings.Fields(string(b[i+1:]))
	// After the name: field 3 (state) is f[0], so field k is f[k-3];
	// utime is field 14 and stime field 15.
	if len(f) < 13 {
		return 0, 0, fmt.Errorf("parsing /proc stat: %d fields after the name, want at least 13", len(f))
	}
	ut, err1 := strconv.ParseUint(f[11], 10, 64)
	st, err2 := strconv.ParseUint(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, 0, fmt.Errorf("parsing /proc stat: utime %q, stime %q: not integers", f[11], f[12])
	}
	return time.Duration(ut) * clockTick, time.Duration(st) * clockTick, nil
}

// memStatus returns VmRSS and VmHWM (peak RSS) of process pid in bytes,
// from /proc/<pid>/status.
func memStatus(pid string) (rss, hwm int64, err error) {
	b, err := os.ReadFile("/proc/" + pid + "/status")
	if err != nil {
		return 0, 0, err
	}
	return parseMemStatus(b)
}

// parseMemStatus reads VmRSS and VmHWM (in kB in the file) from the text of
// a /proc/<pid>/status file and returns them in bytes.
func parseMemStatus(b []byte) (rss, hwm int64, err error) {
	sc := bufio.NewScanner(bytes.NewReader(b))
	found := 0
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok || (k != "VmRSS" && k != "VmHWM") {
			continue
		}
		f := strings.Fields(v)
		if len(f) != 2 || f[1] != "kB" {
			return 0, 0, fmt.Errorf("parsing /proc status: %s is %q, want \"<n> kB\"", k, strings.TrimSpace(v))
		}
		n, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil {
			return 0, 0, fmt.Errorf("parsing /proc status: %s: %w", k, err)
		}
		if k == "VmRSS" {
			rss = n << 10
		} else {
			hwm = n << 10
		}
		found++
	}
	if found != 2 {
		return 0, 0, fmt.Errorf("parsing /proc status: VmRSS or VmHWM missing")
	}
	return rss, hwm, nil
}

// udpCounters are the kernel's UDP counters of one network namespace, from
// /proc/net/snmp (which shows the namespace of the reading process).
type udpCounters struct {
	InDatagrams  uint64 // delivered to a socket
	RcvbufErrors uint64 // dropped because a socket's receive buffer was full
	InErrors     uint64 // all receive errors (RcvbufErrors included)
	NoPorts      uint64 // no socket listening
}

// readUDPCounters reads this namespace's UDP counters.
func readUDPCounters() (udpCounters, error) {
	b, err := os.ReadFile("/proc/net/snmp")
	if err != nil {
		return udpCounters{}, err
	}
	return parseSNMP(b)
}

// parseSNMP reads the Udp: header and value lines of /proc/net/snmp.
func parseSNMP(b []byte) (udpCounters, error) {
	var names []string
	var c udpCounters
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, "Udp: ") {
			continue
		}
		f := strings.Fields(strings.TrimPrefix(line, "Udp: "))
		if names == nil {
			names = f
			continue
		}
		if len(f) != len(names) {
			return c, fmt.Errorf("parsing /proc/net/snmp: %d Udp values for %d names", len(f), len(names))
		}
		for i, name := range names {
			v, err := strconv.ParseUint(f[i], 10, 64)
			if err != nil {
				return c, fmt.Errorf("parsing /proc/net/snmp: Udp %s: %w", name, err)
			}
			switch name {
			case "InDatagrams":
				c.InDatagrams = v
			case "RcvbufErrors":
				c.RcvbufErrors = v
			case "InErrors":
				c.InErrors = v
			case "NoPorts":
				c.NoPorts = v
			}
		}
		return c, nil
	}
	return c, fmt.Errorf("parsing /proc/net/snmp: no Udp lines")
}

// sub returns c - o, counter by counter.
// add returns c + o.
func (c udpCounters) add(o udpCounters) udpCounters {
	return udpCounters{
		InDatagrams:  c.InDatagrams + o.InDatagrams,
		RcvbufErrors: c.RcvbufErrors + o.RcvbufErrors,
		InErrors:     c.InErrors + o.InErrors,
		NoPorts:      c.NoPorts + o.NoPorts,
	}
}

func (c udpCounters) sub(o udpCounters) udpCounters {
	return udpCounters{
		InDatagrams:  c.InDatagrams - o.InDatagrams,
		RcvbufErrors: c.RcvbufErrors - o.RcvbufErrors,
		InErrors:     c.InErrors - o.InErrors,
		NoPorts:      c.NoPorts - o.NoPorts,
	}
}

// netnsID returns the identity (device and inode, as readlink shows it:
// "net:[4026531840]") of the network namespace of process pid.
func netnsID(pid string) (string, error) {
	return os.Readlink("/proc/" + pid + "/ns/net")
}

// cpuStat is the machine's CPU time by kind, in clock ticks, summed over
// all cores (the "cpu" line of /proc/stat).
type cpuStat struct {
	Total, Idle, Softirq uint64
}

// readCPUStat reads the machine's CPU times.
func readCPUStat() (cpuStat, error) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return cpuStat{}, err
	}
	return parseCPUStat(b)
}

// parseCPUStat reads the aggregate "cpu" line of /proc/stat: user nice
// system idle iowait irq softirq steal ...; idle counts idle and iowait.
func parseCPUStat(b []byte) (cpuStat, error) {
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	if len(f) < 8 || f[0] != "cpu" {
		return cpuStat{}, fmt.Errorf("parsing /proc/stat: first line %q is not the cpu line", line)
	}
	var s cpuStat
	for i, v := range f[1:] {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			return cpuStat{}, fmt.Errorf("parsing /proc/stat: %q: %w", v, err)
		}
		if i >= 8 { // guest and guest_nice are already in user and nice
			break
		}
		s.Total += n
		switch i {
		case 3, 4:
			s.Idle += n
		case 6:
			s.Softirq += n
		}
	}
	return s, nil
}

// busy returns the share of the machine's CPU capacity used between o and
// s, and the share spent in softirq (the kernel's packet processing).
func (s cpuStat) busy(o cpuStat) (busy, softirq float64) {
	t := float64(s.Total - o.Total)
	if t <= 0 {
		return 0, 0
	}
	return 1 - float64(s.Idle-o.Idle)/t, float64(s.Softirq-o.Softirq) / t
}

// threadTotals are the scheduler's counters of a process, summed over its
// threads (/proc/<pid>/task/*): on-CPU time in nanoseconds (schedstat,
// not rounded to clock ticks) and voluntary context switches (how often
// its threads went to sleep: each is a later wake-up).
type threadTotals struct {
	OnCPU  time.Duration
	Sleeps uint64
}

// readThreadTotals sums the counters over the threads process pid has now.
// A thread that exits between two readings takes its counts with it; a Go
// program rarely ends threads.
func readThreadTotals(pid string) (threadTotals, error) {
	dir := "/proc/" + pid + "/task"
	tasks, err := os.ReadDir(dir)
	if err != nil {
		return threadTotals{}, err
	}
	var t threadTotals
	for _, task := range tasks {
		ss, err := os.ReadFile(dir + "/" + task.Name() + "/schedstat")
		if err != nil {
			continue // the thread exited
		}
		f := strings.Fields(string(ss))
		if len(f) < 1 {
			continue
		}
		ns, err := strconv.ParseUint(f[0], 10, 64)
		if err != nil {
			return t, fmt.Errorf("parsing %s/%s/schedstat: %w", dir, task.Name(), err)
		}
		t.OnCPU += time.Duration(ns)
		st, err := os.ReadFile(dir + "/" + task.Name() + "/status")
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(st), "\n") {
			if v, ok := strings.CutPrefix(line, "voluntary_ctxt_switches:"); ok {
				n, err := strconv.ParseUint(strings.TrimSpace(v), 10, 64)
				if err == nil {
					t.Sleeps += n
				}
			}
		}
	}
	return t, nil
}
