// Command bench runs the go-discover-mcgossip benchmarks and writes
// BENCHMARKS.md: discovery latency and completeness beside go-discover's
// mdns provider, the codec and receive-path Go benchmarks, a flood, the
// plugin overhead and the agent's footprint. `make bench` runs it:
//
//	go run ./test/bench -out BENCHMARKS.md
//
// Everything that opens a socket runs in a process started inside a host of
// an internal/lab virtual LAN (network namespaces joined by a bridge), or under
// internal/netns for the Go benchmarks: nothing is sent outside the machine.
// The orchestrating process itself never opens a socket. Those processes
// are this program again, started as `bench worker <kind> ...`; a worker
// refuses to run in the namespace of the process that started it.
//
// The lab is closed (its namespaces and every process in them removed) when
// the run ends, fails, or is interrupted with Ctrl-C.
package main

import (
	"fmt"
	"os"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "worker" {
		os.Exit(workerMain(os.Args[2:]))
	}
	if err := orchestrate(os.Args[1:]); err != nil {
		fmt.Fprintf(os.Stderr, "bench: %v\n", err)
		os.Exit(1)
	}
}
