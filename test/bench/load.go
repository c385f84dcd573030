package main

import (
	"strings"
	"time"
)

// cpuOf returns the CPU time (utime+stime) the workers have used so far;
// workers that exited count what they had.
func cpuOf(ws []*worker) time.Duration {
	var t time.Duration
	for _, w := range ws {
		if c, err := cpuTime(w.pid()); err == nil {
			t += c
		}
	}
	return t
}

// mcgWorkers returns the responders' mcgossip processes.
func (r *responders) mcgWorkers() []*worker {
	var out []*worker
	for _, w := range r.workers {
		if strings.HasPrefix(w.name, "agent-") || strings.HasPrefix(w.name, "serve-mcg-") {
			out = append(out, w)
		}
	}
	return out
}

// settledCPU is the most CPU, in cores, the responders may use to count
// as settled.
const settledCPU = 0.5

// viewsWait bounds the wait for complete views: the start-up storm (every
// member answers every newcomer's query and verifies its announces: N²)
// keeps the lab's cores busy for about 100 s at N = 1000, and a member
// whose verification was lost in it is known to the others only after its
// next heartbeat, up to an interval and a fifth (its jitter) later: 150 s
// at N = 1000, 330 s at N = 2000.
func viewsWait(interval time.Duration) time.Duration {
	return interval*6/5 + 90*time.Second
}

// waitViews waits until every engine of every serve-mcg worker knows the
// whole group (the steady state of a group, which a lookup's end
// condition relies on: the members the answers count), at most
// viewsWait; it notes when they do not.
func (b *bench) waitViews(r *responders) {
	start := time.Now()
	for _, w := range r.mcgWorkers() {
		if !strings.HasPrefix(w.name, "serve-mcg-") {
			continue
		}
		for {
			left := viewsWait(r.interval) - time.Since(start)
			if left <= 0 {
				b.note("%d responders: not every engine knew the whole group after %v (%s did not); lookups may end on short counts", r.n, viewsWait(r.interval), w.name)
				return
			}
			m, err := w.next(left)
			if err != nil {
				b.note("%d responders: waiting for complete views: %v", r.n, err)
				return
			}
			if m.Type == "views" {
				break
			}
		}
	}
	b.logf("%d responders: every engine knows the whole group after %v", r.n, time.Since(start).Round(time.Second))
}

// settle waits until the responders' start-up is over: their CPU use over
// a second is under settledCPU and within 20% of the second before
// (start-up bursts, the first queries and the verifications are over,
// heartbeats remain), for at most two minutes: 1000 responders starting
// together keep the two cores busy for about 100 s (every one of them
// queries, and verifies every other's announces). It records their CPU use in that steady state (the
// background the lookups run on).
func (b *bench) settle(r *responders) {
	ws := r.mcgWorkers()
	if len(ws) == 0 {
		return
	}
	start := time.Now()
	prev := -1.0
	c0, t0 := cpuOf(ws), time.Now()
	for time.Since(start) < 2*time.Minute {
		time.Sleep(time.Second)
		c1, t1 := cpuOf(ws), time.Now()
		share := float64(c1-c0) / float64(t1.Sub(t0))
		c0, t0 = c1, t1
		if prev >= 0 && share <= prev*1.2+0.02 && share < settledCPU {
			r.idleCPU = share
			b.logf("%d responders settled after %v: they use %.0f%% of one core (heartbeats)", r.n, time.Since(start).Round(time.Second), 100*share)
			return
		}
		prev = share
	}
	r.idleCPU = prev
	b.note("%d responders did not settle within two minutes: they use %.0f%% of one core", r.n, 100*prev)
}
