package main

import (
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/mcgossip/go-discover-mcgossip/provider/mcgossip/wire"
)

// The benchmark program is a main package, so its tests are internal. None
// opens a socket: they cover the parsers and the statistics.

func TestSummarize(t *testing.T) {
	ms := func(vs ...int) []time.Duration {
		var out []time.Duration
		for _, v := range vs {
			out = append(out, time.Duration(v)*time.Millisecond)
		}
		return out
	}
	tests := []struct {
		name string
		in   []time.Duration
		want summary
	}{
		{"empty", nil, summary{}},
		{"one", ms(7), summary{N: 1, Median: 7 * time.Millisecond, P95: 7 * time.Millisecond, Min: 7 * time.Millisecond, Max: 7 * time.Millisecond}},
		{"even count averages the middle two", ms(4, 1, 3, 2), summary{N: 4, Median: 2500 * time.Microsecond, P95: 4 * time.Millisecond, Min: time.Millisecond, Max: 4 * time.Millisecond}},
		{"p95 of 20 is the 19th", ms(20, 19, 18, 17, 16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1),
			summary{N: 20, Median: 10500 * time.Microsecond, P95: 19 * time.Millisecond, Min: time.Millisecond, Max: 20 * time.Millisecond}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := summarize(tt.in); got != tt.want {
				t.Errorf("summarize(%v) = %+v, want %+v", tt.in, got, tt.want)
			}
		})
	}
}

func TestSpread(t *testing.T) {
	tests := []struct {
		n, h int
		want []int
	}{
		{1, 20, []int{1}},
		{10, 20, []int{1, 1, 1, 1, 1, 1, 1, 1, 1, 1}},
		{50, 20, []int{3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2}},
		{200, 20, []int{10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10}},
	}
	for _, tt := range tests {
		if got := spread(tt.n, tt.h); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("spread(%d, %d) = %v, want %v", tt.n, tt.h, got, tt.want)
		}
	}
}

func TestParseStatCPU(t *testing.T) {
	// A command name with a space and a parenthesis; utime 150, stime 25.
	stat := "4242 (go (x) y) S 1 4242 4242 0 -1 4194560 1000 0 0 0 150 25 0 0 20 0 9 0 100 2000000 500 18446744073709551615"
	got, err := parseStatCPU([]byte(stat))
	if err != nil {
		t.Fatal(err)
	}
	if want := 175 * clockTick; got != want {
		t.Errorf("parseStatCPU = %v, want %v", got, want)
	}
	if _, err := parseStatCPU([]byte("4242 (x) S 1")); err == nil {
		t.Error("parseStatCPU of a short line: no error")
	}
}

func TestParseMemStatus(t *testing.T) {
	status := "Name:\tagent\nVmPeak:\t  1 kB\nVmHWM:\t   16000 kB\nVmRSS:\t   15000 kB\nThreads:\t7\n"
	rss, hwm, err := parseMemStatus([]byte(status))
	if err != nil {
		t.Fatal(err)
	}
	if rss != 15000<<10 || hwm != 16000<<10 {
		t.Errorf("parseMemStatus = %d, %d, want %d, %d", rss, hwm, 15000<<10, 16000<<10)
	}
	if _, _, err := parseMemStatus([]byte("Name:\tx\n")); err == nil {
		t.Error("parseMemStatus without VmRSS: no error")
	}
}

func TestParseSNMP(t *testing.T) {
	snmp := "Ip: Forwarding DefaultTTL\nIp: 1 64\n" +
		"Udp: InDatagrams NoPorts InErrors OutDatagrams RcvbufErrors SndbufErrors InCsumErrors IgnoredMulti MemErrors\n" +
		"Udp: 100 2 30 40 25 0 0 7 0\n" +
		"UdpLite: InDatagrams NoPorts InErrors OutDatagrams RcvbufErrors SndbufErrors InCsumErrors IgnoredMulti MemErrors\n" +
		"UdpLite: 0 0 0 0 0 0 0 0 0\n"
	got, err := parseSNMP([]byte(snmp))
	if err != nil {
		t.Fatal(err)
	}
	want := udpCounters{InDatagrams: 100, NoPorts: 2, InErrors: 30, RcvbufErrors: 25}
	if got != want {
		t.Errorf("parseSNMP = %+v, want %+v", got, want)
	}
}

func TestParseCPUStat(t *testing.T) {
	got, err := parseCPUStat([]byte("cpu  100 5 50 800 20 0 25 0 9 9\ncpu0 1 2 3 4 5 6 7 8 9 9\n"))
	if err != nil {
		t.Fatal(err)
	}
	if want := (cpuStat{Total: 1000, Idle: 820, Softirq: 25}); got != want {
		t.Errorf("parseCPUStat = %+v, want %+v", got, want)
	}
	busy, soft := (cpuStat{Total: 2000, Idle: 1320, Softirq: 125}).busy(got)
	if busy != 0.5 || soft != 0.1 {
		t.Errorf("busy = %v, %v, want 0.5, 0.1", busy, soft)
	}
}

func TestParseGoBench(t *testing.T) {
	out := `goos: linux
goarch: amd64
pkg: github.com/x/wire
cpu: AMD EPYC
BenchmarkSeal         	 1000000	       956.0 ns/op	 117.15 MB/s	       0 B/op	       0 allocs/op
BenchmarkPeerTable-2  	     100	  12000000 ns/op	     812.5 B/peer	  500000 B/op	   10000 allocs/op
BenchmarkBroken 	 oops
PASS
ok  	github.com/x/wire	3.2s
`
	got := parseGoBench(out, "./wire")
	want := []goBench{
		{Pkg: "github.com/x/wire", Name: "Seal", Iters: 1000000,
			Values: map[string]float64{"ns/op": 956, "MB/s": 117.15, "B/op": 0, "allocs/op": 0},
			Units:  []string{"ns/op", "MB/s", "B/op", "allocs/op"}},
		{Pkg: "github.com/x/wire", Name: "PeerTable", Iters: 100,
			Values: map[string]float64{"ns/op": 12000000, "B/peer": 812.5, "B/op": 500000, "allocs/op": 10000},
			Units:  []string{"ns/op", "B/peer", "B/op", "allocs/op"}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("parseGoBench =\n%+v\nwant\n%+v", got, want)
	}
}

func TestFloodPool(t *testing.T) {
	const cookie = "victim-cookie-0123456789"
	victim := wire.NewKeyring(wire.DeriveKey(cookie))
	tests := []struct {
		mode string
		want error // what the victim's Open says; nil: any drop reason
	}{
		{floodGarbage, nil},
		{floodForeign, wire.ErrUnknownKey},
		{floodForged, wire.ErrAuth},
	}
	for _, tt := range tests {
		pool, err := floodPool(tt.mode, 8, cookie)
		if err != nil {
			t.Fatalf("%s: %v", tt.mode, err)
		}
		if len(pool) != 8 {
			t.Fatalf("%s: %d datagrams, want 8", tt.mode, len(pool))
		}
		for _, d := range pool {
			var m wire.Message
			err := wire.Open(victim, d, &m)
			if err == nil || (tt.want != nil && !errors.Is(err, tt.want)) {
				t.Errorf("%s: the victim's Open of a %d-byte datagram: %v, want %v", tt.mode, len(d), err, tt.want)
			}
		}
	}
	if _, err := floodPool("bogus", 1, ""); err == nil {
		t.Error("floodPool(bogus): no error")
	}
}

func TestParseStraceC(t *testing.T) {
	out := `strace: Process 29182 attached with 7 threads
strace: Process 29182 detached
% time     seconds  usecs/call     calls    errors syscall
------ ----------- ----------- --------- --------- ------------------
 56.50    0.029186         157       185        49 futex
 20.53    0.010603          51       204         1 epoll_pwait
  1.40    0.000722          34        21           sendto
------ ----------- ----------- --------- --------- ------------------
100.00    0.051653          69       410        50 total
`
	got := parseStraceC(out)
	want := []syscallCount{{"epoll_pwait", 204}, {"futex", 185}, {"sendto", 21}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("parseStraceC = %v, want %v", got, want)
	}
}
