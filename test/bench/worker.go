package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	mdnsprov "github.com/hashicorp/go-discover/provider/mdns"
	"github.com/hashicorp/mdns"
)

// workers maps a worker kind to its function. Each parses its own flags.
var workers = map[string]func(e *emitter, args []string) error{
	"serve-mdns": workServeMDNS,
	"query":      workQuery,
	"flood":      workFlood,
}

// workerMain runs one worker inside a lab host and returns the exit code.
func workerMain(args []string) int {
	e := newEmitter(os.Stdout)
	if len(args) == 0 {
		fmt.Fprintln(os.Stderr, "bench worker: missing kind")
		return 2
	}
	fn, ok := workers[args[0]]
	if !ok {
		fmt.Fprintf(os.Stderr, "bench worker: unknown kind %q\n", args[0])
		return 2
	}
	if err := checkIsolated(); err != nil {
		e.emit(message{Type: "error", Err: err.Error()})
		fmt.Fprintf(os.Stderr, "bench worker: %v\n", err)
		return 3
	}
	// The orchestrator stops a worker by closing its input or by killing
	// it; a SIGINT meant for the orchestrator's terminal must not cut a
	// worker's cleanup short.
	signal.Ignore(syscall.SIGINT)
	if err := fn(e, args[1:]); err != nil {
		e.emit(message{Type: "error", Err: err.Error()})
		fmt.Fprintf(os.Stderr, "bench worker %s: %v\n", args[0], err)
		return 1
	}
	return 0
}

// checkIsolated refuses to run in the network namespace of the machine:
// a worker must run in a lab host, which is a namespace of its own.
func checkIsolated() error {
	self, err := netnsID("self")
	if err != nil {
		return fmt.Errorf("reading this process's network namespace: %w", err)
	}
	parent := os.Getenv(envParentNetns)
	if parent == "" {
		return errors.New("not started by the bench orchestrator (" + envParentNetns + " unset); refusing to open sockets")
	}
	if self == parent {
		return fmt.Errorf("running in the orchestrator's network namespace %s, not a lab host; refusing to open sockets", self)
	}
	if init, err := netnsID("1"); err == nil && init == self {
		return fmt.Errorf("running in the network namespace of pid 1 (%s); refusing to open sockets", self)
	}
	return nil
}

// waitInputClosed blocks until standard input reaches EOF (the
// orchestrator's signal to stop).
func waitInputClosed() {
	_, _ = io.Copy(io.Discard, os.Stdin)
}

// parseArgs splits "k=v k=v" into a go-discover style argument map.
func parseArgs(s string) map[string]string {
	m := map[string]string{}
	for _, f := range strings.Fields(s) {
		k, v, _ := strings.Cut(f, "=")
		m[k] = v
	}
	return m
}

// mdnsService is the service the mdns responders register and the mdns
// provider looks up.
const mdnsService = "_mcgbench._tcp"

// workServeMDNS runs n hashicorp/mdns servers, instance i answering for
// addr:port+i, until standard input closes.
func workServeMDNS(e *emitter, args []string) error {
	fs := flag.NewFlagSet("serve-mdns", flag.ContinueOnError)
	n := fs.Int("n", 1, "servers")
	port := fs.Int("port", 20000, "port of the first server's service")
	addr := fs.String("addr", "", "address the services advertise")
	name := fs.String("name", "h", "instance name prefix")
	if err := fs.Parse(args); err != nil {
		return err
	}
	ip := net.ParseIP(*addr)
	if ip == nil {
		return fmt.Errorf("bad -addr %q", *addr)
	}
	ifi, err := net.InterfaceByName("eth0")
	if err != nil {
		return err
	}
	quiet := log.New(io.Discard, "", 0)
	var servers []*mdns.Server
	defer func() {
		for _, s := range servers {
			_ = s.Shutdown()
		}
	}()
	for i := range *n {
		inst := fmt.Sprintf("%s-%d", *name, i)
		svc, err := mdns.NewMDNSService(inst, mdnsService, "local.", inst+".local.", *port+i, []net.IP{ip}, []string{"mcgbench"})
		if err != nil {
			return fmt.Errorf("mdns service %s: %w", inst, err)
		}
		s, err := mdns.NewServer(&mdns.Config{Zone: svc, Iface: ifi, Logger: quiet})
		if err != nil {
			return fmt.Errorf("mdns server %s: %w", inst, err)
		}
		servers = append(servers, s)
	}
	e.emit(message{Type: "ready"})
	waitInputClosed()
	return nil
}

// workQuery times cold lookups: each run uses a fresh provider (mdns,
// mcgossip in process) or a fresh process (cli).
func workQuery(e *emitter, args []string) error {
	fs := flag.NewFlagSet("query", flag.ContinueOnError)
	kind := fs.String("kind", "mdns", "mdns, mcg or cli")
	runs := fs.Int("runs", 10, "lookups")
	pargs := fs.String("args", "", "provider arguments, k=v separated by spaces")
	bin := fs.String("bin", "", "go-discover-mcgossip binary (cli)")
	gap := fs.Duration("gap", 50*time.Millisecond, "pause between runs")
	if err := fs.Parse(args); err != nil {
		return err
	}
	var lookup func() ([]string, error)
	switch *kind {
	case "mdns":
		lookup = func() ([]string, error) {
			p := &mdnsprov.Provider{}
			return p.Addrs(parseArgs(*pargs), nil)
		}
	case "mdnslib":
		// hashicorp/mdns's Query as the provider calls it, but with a
		// buffered entries channel: what the protocol finds when no
		// entry is dropped on a busy reader.
		lookup = func() ([]string, error) { return mdnsLibLookup(parseArgs(*pargs)) }
	case "cli":
		lookup = func() ([]string, error) {
			cmd := exec.Command(*bin, append([]string{"-q", "addrs"}, strings.Fields(*pargs)...)...)
			var stderr strings.Builder
			cmd.Stderr = &stderr
			out, err := cmd.Output()
			if err != nil {
				return nil, fmt.Errorf("%s addrs: %w: %s", *bin, err, strings.TrimSpace(stderr.String()))
			}
			return strings.Fields(string(out)), nil
		}
	default:
		mk, ok := queryKinds[*kind]
		if !ok {
			return fmt.Errorf("unknown -kind %q", *kind)
		}
		var err error
		if lookup, err = mk(parseArgs(*pargs)); err != nil {
			return err
		}
	}
	for r := range *runs {
		if r > 0 {
			time.Sleep(*gap)
		}
		t0 := time.Now()
		addrs, err := lookup()
		m := message{Type: "run", Label: *kind, Ms: ms(time.Since(t0)), Addrs: addrs}
		if err != nil {
			m.Err = err.Error()
		}
		e.emit(m)
	}
	return nil
}

// queryKinds holds lookups of kinds defined elsewhere (mcgossip); each
// returns a function that does one cold lookup.
var queryKinds = map[string]func(args map[string]string) (func() ([]string, error), error){}

// ms converts a duration to fractional milliseconds.
func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// mdnsLibLookup runs hashicorp/mdns's Query like go-discover's mdns
// provider does (v4 and v6, the given timeout), collecting entries from a
// buffered channel.
func mdnsLibLookup(args map[string]string) ([]string, error) {
	timeout, err := time.ParseDuration(args["timeout"])
	if err != nil {
		return nil, fmt.Errorf("bad timeout %q: %w", args["timeout"], err)
	}
	ch := make(chan *mdns.ServiceEntry, 4096)
	params := &mdns.QueryParam{Service: args["service"], Domain: "local", Timeout: timeout, Entries: ch,
		Logger: log.New(io.Discard, "", 0)}
	err = mdns.Query(params)
	close(ch)
	var addrs []string
	for e := range ch {
		if e.AddrV4 != nil {
			addrs = append(addrs, net.JoinHostPort(e.AddrV4.String(), strconv.Itoa(e.Port)))
		}
	}
	return addrs, err
}
