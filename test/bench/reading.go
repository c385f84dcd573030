package main

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/mcgossip/go-discover-mcgossip/provider/mcgossip"
)

// The "what limits it" paragraphs of the report. Where a number decides
// what the paragraph says, it is computed from the run.

// bench1 returns the ns/op of the first Go benchmark with that name.
func (r *results) bench1(name string) (float64, bool) {
	gb := r.benchmarks(func(n string) bool { return n == name })
	if len(gb) == 0 {
		return 0, false
	}
	return gb[0].Values["ns/op"], true
}

func (r *results) readLatency(w func(string, ...any)) {
	def := mcgossip.DefaultConfig()
	w("**Reading.** ")
	var lo, hi latencyRow
	okLo, okHi := false, false
	for _, n := range r.Config.ns {
		if x, ok := r.row(kindMCG, n, 0); ok && x.Sum.N > 0 {
			if !okLo {
				lo, okLo = x, true
			}
			hi, okHi = x, true
		}
	}
	if okLo && okHi {
		w("mcgossip's cold lookup takes %s at N=%d and %s at N=%d: its length is mostly set by the protocol's timers.\n",
			fmtMs(lo.Sum.Median), lo.N, fmtMs(hi.Sum.Median), hi.N)
		if d := hi.Sum.Median - lo.Sum.Median; d > 5*time.Millisecond {
			w("N adds %s from N=%d to N=%d: the querier receives, opens and records N answers, on two cores that also\n", fmtMs(d), lo.N, hi.N)
			w("run the N responders answering at the same moment. ")
		}
		w("A lookup opens its sockets and joins (the Argon2id key is cached per process), queries, waits out\n")
		w("the answer window (answers are spread over up to %v so N peers do not answer at once), queries again\n", def.AnswerJitter)
		w("because the first round brought new peers (that second round is what recovers a lost answer), and returns\n")
		w("once no new peer turned up for `stable` (%v) — so about two answer windows plus `stable`, whatever N. A\n", def.Stable)
		w("lower `stable` or jitter would trade completeness on a lossy or busy network for speed; `expect=N` returns\n")
		w("as soon as N peers are known (section 4). The p95 is where this 2-core machine shows: N engines, the querier\n")
		w("and the kernel's bridge share two cores, and a lookup waits for the slowest scheduled answer. Under loss, a\n")
		w("lost query or answer costs a further round, a lookup that has seen loss asks up to two more rounds\n")
		w("before it returns, and while nobody has answered the pauses between queries double (up to 0.5 s): that\n")
		w("is what stretches the tail. ")
		worst, okW := latencyRow{}, false
		for _, x := range r.Latency {
			if x.Kind == kindMCG && x.Loss > 0 && len(x.Shares) > 0 && (!okW || x.meanShare() < worst.meanShare()) {
				worst, okW = x, true
			}
		}
		if okW && worst.meanShare() < 0.995 {
			p := 1 - float64(worst.Loss)/100
			w("Completeness under loss is lowest at N=%d, %d%% loss: %s of the responders a lookup, all of them in\n",
				worst.N, worst.Loss, fmtPct(worst.meanShare()))
			w("%d of %d lookups. A lookup queries again after every round that brought someone new and, once it has\n",
				worst.allFound(), len(worst.Shares))
			w("seen loss (a peer whose first answer was to a later query), after up to two rounds that brought nobody.\n")
			w("At %d%% loss each way a query-answer exchange with one responder succeeds with probability %.2f, so a\n", worst.Loss, p*p)
			w("missing responder stays missing when three rounds in a row fail to reach it (%.0f%% each time). Consul and\n", 100*math.Pow(1-p*p, 3))
			w("Nomad call `Addrs` again on their retry interval, which finds the rest.")
		} else if okW {
			w("Completeness stays near 100%% under loss: every round that brings a new peer triggers another query.")
		}
		w("\n\n")
	}
	mdRow, okMD := r.row(kindMDNS, maxN(r.Config.ns), 0)
	libRow, okLib := r.row(kindMDNSLib, maxN(r.Config.ns), 0)
	w("go-discover's mdns provider has no early return: `Addrs` lasts exactly its `timeout` (%s here, 5 s by\n", r.Config.mdnsTimeout)
	w("default), which is what the ratio measures. ")
	if okMD && okLib && mdRow.meanShare() < 0.9 && libRow.meanShare() > mdRow.meanShare() {
		w("Its completeness collapses beyond one responder (%s of %d found) although hashicorp/mdns received them\n", fmtPct(mdRow.meanShare()), mdRow.N)
		w("(the library column, the same query with a buffered channel, found %s): the library hands each complete\n", fmtPct(libRow.meanShare()))
		w("entry over with a non-blocking send (`select { case ch <- e: default: }`) and the provider reads them from an\n")
		w("unbuffered channel, so every entry that arrives while its goroutine is busy with the previous one is\n")
		w("dropped — and answers to one multicast query arrive together. ")
	} else if okMD {
		w("It found %s of %d responders. ", fmtPct(mdRow.meanShare()), mdRow.N)
	}
	w("It sends its query once and never asks again, so under loss\n")
	w("a lost query or answer is a responder missing from that lookup.\n\n")
	if d, ok := r.bench1("DeriveKey"); ok {
		w("A one-shot `go-discover-mcgossip addrs` process adds what a long-lived process pays once: exec and Go\n")
		w("runtime start, and the Argon2id key derivation (BenchmarkDeriveKey: %s on one core); it is an observer\n", fmtNs(d))
		w("(`announce=false`), so it is otherwise the same lookup. The first lookup of a process pays the derivation too.\n\n")
	}
}

func maxN(ns []int) int {
	m := 0
	for _, n := range ns {
		m = max(m, n)
	}
	return m
}

func (r *results) readCodec(w func(string, ...any)) {
	seal, okS := r.bench1("Seal")
	open, okO := r.bench1("Open")
	forged, okF := r.bench1("RejectForged")
	foreign, okFo := r.bench1("RejectForeign")
	garbage, okG := r.bench1("RejectGarbage")
	if !okS && !okO && !okF {
		return
	}
	w("**Reading.** ")
	if okS && okO {
		w("Sealing (%s) and opening (%s) are XChaCha20-Poly1305 over a datagram of about 100 bytes: the HChaCha20\n", fmtNs(seal), fmtNs(open))
		w("subkey derivation, ChaCha20 over the body and Poly1305 over header and body; the codec around it allocates\n")
		w("nothing. ")
	}
	if okFo && okG {
		w("Garbage (%s) and foreign datagrams (%s) are\n", fmtNs(garbage), fmtNs(foreign))
		w("dropped before any cryptography, by the magic/version/length checks and the key-id lookup, so their cost\n")
		w("is a few comparisons and a map probe. ")
	}
	if okF {
		w("A forged datagram that copies a real key id (visible on the wire) costs an AEAD open that fails\n")
		w("(%s): the most an outsider can make a receiver spend per datagram.", fmtNs(forged))
	}
	recv := r.benchmarks(func(n string) bool {
		l := strings.ToLower(n)
		return strings.HasPrefix(l, "receive") && !strings.Contains(l, "forged")
	})
	if len(recv) > 0 {
		lo, hi := recv[0].Values["ns/op"], recv[0].Values["ns/op"]
		for _, g := range recv {
			lo, hi = min(lo, g.Values["ns/op"]), max(hi, g.Values["ns/op"])
		}
		w(" In the engine's receive path (a datagram handed to the engine as its socket loop does), a drop costs\n")
		w("%s to %s: the codec's check plus the engine's per-datagram bookkeeping (the drop counter by reason, the\n", fmtNs(lo), fmtNs(hi))
		w("log rate limiter).")
	}
	if pt, ok := r.bench1("PeerTable"); ok {
		w(" An authentic heartbeat from one of 10,000 known peers (open, replay window, table update) costs\n")
		w("%s.", fmtNs(pt))
	}
	w("\n\n")
	if len(r.benchmarks(func(n string) bool { return strings.Contains(strings.ToLower(n), "peertable") })) == 0 {
		w("The engine's own benchmarks (peer table at 10,000 peers, receive path) did not run in this tree; see the\n")
		w("problems at the end.\n\n")
	}
}

func (r *results) readFlood(w func(string, ...any)) {
	var base *floodRow
	for i := range r.Flood {
		if r.Flood[i].Mode == "none" {
			base = &r.Flood[i]
		}
	}
	if base == nil {
		return
	}
	w("**Reading.** ")
	maxRate, busy := 0.0, 0.0
	for _, f := range r.Flood {
		if f.Mode != "none" {
			maxRate = max(maxRate, f.SendRate)
			busy = max(busy, f.Busy)
		}
	}
	if maxRate < 0.95*float64(r.Config.floodRate) {
		w("The flooder reached %.0f datagrams/s, not %d: sender, bridge and receiver share this machine's %d\n", maxRate, r.Config.floodRate, r.Machine.Cores)
		w("cores (busy up to %.0f%% during the flood, other processes included), and the kernel's work for each datagram —\n", 100*busy)
		w("the veth pair, the bridge's copy to each port, the receiving socket — is spent on them. ")
	}
	var parts []string
	for _, f := range r.Flood {
		if f.Mode == "none" || f.Received == 0 || f.WallMs == 0 {
			continue
		}
		extra := (f.VictimCPU - base.VictimCPU) * f.WallMs / 1000 // CPU seconds
		rate := float64(f.Received) - float64(base.Received)*f.WallMs/max(base.WallMs, 1)
		if rate > 0 && extra > 0 {
			parts = append(parts, fmt.Sprintf("%s %s", f.Mode, fmtNs(extra/rate*1e9)))
		}
	}
	if len(parts) > 0 {
		sys, n := 0.0, 0
		for _, f := range r.Flood {
			if f.Mode != "none" {
				sys += f.VictimSys
				n++
			}
		}
		w("Per flood datagram it received, the victim process spent %s of CPU (its CPU above the no-flood row over\n", strings.Join(parts, ", "))
		w("the datagrams it received), %.0f%% of it in the kernel: far more than the codec's drop (section 2), which is\n", 100*sys/float64(n))
		w("a small part of a received datagram's cost next to the system calls (recvmmsg, with the control message\n")
		w("that carries the destination address and interface), the copies and waking the reading goroutine. A full\n")
		w("receive buffer drops the excess in the kernel before the process pays for it (*buffer drops*), which bounds\n")
		w("the victim's CPU whatever the rate. ")
	}
	complete, slow := true, false
	for _, f := range r.Flood {
		if f.Mode == "none" {
			continue
		}
		if f.Lookup.allFound() < len(f.Lookup.Shares) {
			complete = false
		}
		if f.Lookup.Sum.Median > 2*base.Lookup.Sum.Median {
			slow = true
		}
	}
	switch {
	case complete && !slow:
		w("Discovery stayed complete in every lookup and its median stayed within twice the no-flood median:\n")
		w("answers arrive on the engine's unicast socket, which the group flood does not reach, and the bad datagrams\n")
		w("never become peers.")
	case complete:
		w("Discovery stayed complete in every lookup, but slower: the flood competes for the same cores.")
	default:
		w("Some lookups under flood missed responders (the *found* column) while the machine was saturated (the *busy*\n")
		w("column, other processes included): an answer that gets scheduled later than the lookup's `stable` window\n")
		w("after the last new peer misses that lookup; the next lookup finds it.")
	}
	w("\n\n")
}

func (r *results) readPlugin(w func(string, ...any)) {
	p := r.Plugin
	if p == nil || p.Rows[plugInCold].Sum.N == 0 || p.Rows[plugOutCold].Sum.N == 0 {
		return
	}
	w("**Reading.** A cold call through the plugin adds %s: starting the plugin process (exec of the %s binary,\n",
		fmtMs(p.delta(plugOutCold, plugInCold)), fmtBytes(r.Size.Default))
	w("Go runtime start), go-plugin's handshake, AutoMTLS (a fresh key pair and certificate on each side) and the gRPC\n")
	w("connection, then the same lookup inside the plugin. A warm call adds %s: one gRPC round trip over a\n", fmtMs(p.delta(plugOutWarm, plugInWarm)))
	w("Unix socket with TLS, protobuf encoding of the arguments and the addresses, and the plugin's log lines on\n")
	w("the way back. With `expect` met by the warm engine's peer table, the warm lookup itself does almost nothing,\n")
	w("so the warm figure is the boundary's cost. Both differences are of medians of interleaved runs on a shared\n")
	w("2-core machine; the warm one is close to the scheduler's noise.\n\n")
}

func (r *results) readFootprint(w func(string, ...any)) {
	f := r.Footprint
	if f == nil || f.Err != "" {
		return
	}
	def := mcgossip.DefaultConfig()
	w("**Reading.** CPU time is counted in 10 ms ticks, so over %s anything below %.3f%% of a core reads as zero;\n",
		f.Window, 100*float64(10*time.Millisecond)/float64(f.Window))
	w("the scheduler's nanosecond counter and the wake-up count show what the ticks round. An idle agent wakes\n")
	w("for its heartbeat (every %v ±20%%) and for each peer's", def.Interval)
	calls := map[string]int{}
	if a := r.FootprintAlone; a != nil {
		for _, sc := range a.Syscalls {
			calls[sc.Name] = sc.Calls
		}
	}
	if calls["socket"] > 0 && calls["bind"] > 0 {
		w("; it also lists the interfaces every few seconds (a netlink socket opened, dumped and\n")
		w("closed each time: the `socket`, `bind`, `recvfrom` and `close` calls), so that it rejoins the group when a\n")
		w("link comes back")
	}
	if calls["sched_getaffinity"] > 0 {
		w("; and the Go runtime (1.25 and later) re-reads the CPU affinity and cgroup limit about once a\n")
		w("second to adjust GOMAXPROCS (`sched_getaffinity`, `pread64`; `//go:debug updatemaxprocs=0` in main.go would\n")
		w("stop it)")
	}
	w(".")
	if f.Sleeps > 0 && f.OnCPU > 0 {
		w(" On average a wake-up cost %s of CPU (on-CPU time over wake-ups, with %d peers); their\n", fmtNs(float64(f.OnCPU)/float64(f.Sleeps)), f.Peers)
		w("number, not any one of them, is what the idle figure counts.")
	}
	w("\n")
	w("Most of the resident memory is the Go runtime and the binary's mapped code, not the peer table. The binary\n")
	w("carries the CLI, the provider and the go-plugin/gRPC stack it serves when a host launches it.\n\n")
}
