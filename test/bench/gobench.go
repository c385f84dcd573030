package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// goBench is one result line of `go test -bench`.
type goBench struct {
	Pkg   string
	Name  string // without the Benchmark prefix and the -GOMAXPROCS suffix
	Iters int64
	// Values by unit: ns/op, B/op, allocs/op and custom metrics
	// (b.ReportMetric), such as B/peer.
	Values map[string]float64
	Units  []string // units in the order printed
}

// goBenchRun is the outcome of `go test -bench` on one package.
type goBenchRun struct {
	Pkg     string
	Results []goBench
	Err     string // the failure, if the run failed (compile error, test failure)
	Elapsed time.Duration
}

var benchLine = regexp.MustCompile(`^Benchmark(\S+)\s+(\d+)\s+(.+)$`)

// parseGoBench parses the output of `go test -bench`; pkg labels results
// printed before any "pkg:" line.
func parseGoBench(out, pkg string) []goBench {
	var res []goBench
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if p, ok := strings.CutPrefix(line, "pkg: "); ok {
			pkg = p
			continue
		}
		m := benchLine.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		iters, err := strconv.ParseInt(m[2], 10, 64)
		if err != nil {
			continue
		}
		f := strings.Fields(m[3])
		if len(f)%2 != 0 {
			continue
		}
		r := goBench{Pkg: pkg, Name: trimProcs(m[1]), Iters: iters, Values: map[string]float64{}}
		ok := true
		for i := 0; i < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				ok = false
				break
			}
			r.Values[f[i+1]] = v
			r.Units = append(r.Units, f[i+1])
		}
		if ok {
			res = append(res, r)
		}
	}
	return res
}

// trimProcs removes the -N GOMAXPROCS suffix go test adds to a
// benchmark's name when N > 1.
func trimProcs(name string) string {
	i := strings.LastIndexByte(name, '-')
	if i < 0 {
		return name
	}
	if _, err := strconv.Atoi(name[i+1:]); err != nil {
		return name
	}
	return name[:i]
}

// runGoBench runs every benchmark of pkg (a ./relative package path) in
// root, one core, with -benchmem. Packages that open sockets run their
// benchmarks inside internal/netns from their TestMain.
func runGoBench(ctx context.Context, root, pkg string, benchtime string, env []string) goBenchRun {
	t0 := time.Now()
	ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	args := []string{"test", "-run", "^$", "-bench", ".", "-benchmem", "-cpu", "1", "-count", "1", "-benchtime", benchtime, pkg}
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	r := goBenchRun{Pkg: pkg, Results: parseGoBench(string(out), pkg), Elapsed: time.Since(t0)}
	if err != nil {
		r.Err = fmt.Sprintf("go %s: %v\n%s", strings.Join(args, " "), err, lastLines(string(out), 15))
	}
	return r
}

// lastLines returns the last n lines of s.
func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
