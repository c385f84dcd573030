// Package metrics exposes an mcgossip engine's counters through
// hashicorp/go-metrics (the library Consul and Nomad use) and serves them
// to Prometheus: the agent's -metrics-addr.
//
// The provider module offers only mcgossip.Stats and stays free of
// dependencies; this package, in the command's module, reads Stats through
// its public API (stats.go is the only file that knows its fields) and
// pushes the growth of each counter since the last reading into
// go-metrics. It reads right before each scrape, so the agent runs no
// timer for its metrics and a scrape always sees the current counters.
//
// The metrics, all prefixed with mcgossip_:
//
//	peers                       gauge    live peers
//	datagrams_received          counter  datagrams read
//	datagrams_accepted          counter  datagrams used
//	datagrams_loopback          counter  own multicast that came back
//	datagrams_sent              counter  datagrams sent
//	datagrams_dropped{reason}   counter  datagrams dropped, by reason
//	send_errors                 counter  sends that failed
//	events_dropped              counter  peer events a slow subscriber missed
//	lookups{result}             counter  lookups: found, empty or error
//	lookup_duration             summary  how long lookups took, in ms
package metrics

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	gometrics "github.com/hashicorp/go-metrics"
	gmprom "github.com/hashicorp/go-metrics/prometheus"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/mcgossip/go-discover-mcgossip/provider/mcgossip"
)

// Path is where the Prometheus endpoint is served.
const Path = "/metrics"

// prefix starts every metric's name (go-metrics' service name).
const prefix = "mcgossip"

// Lookup results, the values of the lookups metric's result label.
var results = []string{"found", "empty", "error"}

// Keys of the lookup metrics.
var (
	lookupsKey  = []string{"lookups"}
	durationKey = []string{"lookup", "duration"}
)

// shutdownWait bounds how long Close waits for scrapes in flight.
const shutdownWait = 2 * time.Second

// CheckAddr checks a -metrics-addr value: host:port with a numeric port
// (an empty host listens on every address, port 0 on a free port; Addr
// tells which).
func CheckAddr(addr string) error {
	_, port, err := net.SplitHostPort(addr)
	if err == nil {
		_, err = strconv.ParseUint(port, 10, 16)
	}
	if err != nil {
		return fmt.Errorf("invalid -metrics-addr %q: must be host:port with a port from 0 to 65535, such as 127.0.0.1:9102", addr)
	}
	return nil
}

// Server serves an engine's counters at http://addr/metrics. A nil *Server
// is valid and records nothing: the metrics are off.
type Server struct {
	m     *gometrics.Metrics
	stats func() mcgossip.Stats
	ln    net.Listener
	srv   *http.Server
	done  chan struct{} // closed when Serve has returned

	mu   sync.Mutex        // one reading at a time
	last map[string]uint64 // the counters' values at the last reading
}

// Listen starts serving the counters that stats returns on addr (see
// CheckAddr) and returns once the listener is open.
func Listen(addr string, stats func() mcgossip.Stats) (*Server, error) {
	if err := CheckAddr(addr); err != nil {
		return nil, err
	}
	reg := prometheus.NewRegistry()
	sink, err := gmprom.NewPrometheusSinkFrom(definitions(stats()))
	if err != nil {
		return nil, fmt.Errorf("metrics: %w", err)
	}
	if err := reg.Register(sink); err != nil {
		return nil, fmt.Errorf("metrics: %w", err)
	}
	cfg := gometrics.DefaultConfig(prefix)
	cfg.EnableHostname = false
	cfg.EnableRuntimeMetrics = false // a goroutine waking every second; not for an idle agent
	m, err := gometrics.New(cfg, sink)
	if err != nil {
		return nil, fmt.Errorf("metrics: %w", err)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("metrics: listening on -metrics-addr %s: %w", addr, err)
	}
	s := &Server{m: m, stats: stats, ln: ln, done: make(chan struct{}), last: map[string]uint64{}}
	s.Sample()
	prom := promhttp.HandlerFor(reg, promhttp.HandlerOpts{})
	mux := http.NewServeMux()
	mux.Handle(Path, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.Sample()
		prom.ServeHTTP(w, r)
	}))
	s.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		defer close(s.done)
		_ = s.srv.Serve(ln) // returns http.ErrServerClosed after Close
	}()
	return s, nil
}

// definitions declares every metric, with its help, at zero, so a scrape
// lists them all from the start; s gives the drop reasons.
func definitions(s mcgossip.Stats) gmprom.PrometheusOpts {
	opts := gmprom.PrometheusOpts{Name: prefix, Expiration: 0} // never expire: the set is fixed
	key := func(name []string) []string { return append([]string{prefix}, name...) }
	for _, r := range read(s) {
		if r.gauge {
			opts.GaugeDefinitions = append(opts.GaugeDefinitions,
				gmprom.GaugeDefinition{Name: key(r.name), ConstLabels: r.labels, Help: r.help})
			continue
		}
		opts.CounterDefinitions = append(opts.CounterDefinitions,
			gmprom.CounterDefinition{Name: key(r.name), ConstLabels: r.labels, Help: r.help})
	}
	for _, res := range results {
		opts.CounterDefinitions = append(opts.CounterDefinitions, gmprom.CounterDefinition{
			Name: key(lookupsKey), ConstLabels: []gometrics.Label{{Name: "result", Value: res}},
			Help: "Lookups by result: found (peers), empty (none) or error."})
	}
	opts.SummaryDefinitions = append(opts.SummaryDefinitions, gmprom.SummaryDefinition{
		Name: key(durationKey), Help: "How long lookups took, in milliseconds."})
	return opts
}

// Addr returns the address the endpoint listens on.
func (s *Server) Addr() net.Addr { return s.ln.Addr() }

// Sample reads the engine's counters and records what changed since the
// last reading. The endpoint calls it before each scrape.
func (s *Server) Sample() {
	if s == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, r := range read(s.stats()) {
		if r.gauge {
			s.m.SetPrecisionGaugeWithLabels(r.name, float64(r.value), r.labels)
			continue
		}
		id := fmt.Sprint(r.name, r.labels)
		if d := r.value - s.last[id]; r.value > s.last[id] {
			s.m.IncrCounterWithLabels(r.name, float32(d), r.labels)
		}
		s.last[id] = r.value
	}
}

// Lookup records a lookup that started at start and found n peers, or
// failed with err.
func (s *Server) Lookup(start time.Time, n int, err error) {
	if s == nil {
		return
	}
	res := "found"
	switch {
	case err != nil:
		res = "error"
	case n == 0:
		res = "empty"
	}
	s.m.IncrCounterWithLabels(lookupsKey, 1, []gometrics.Label{{Name: "result", Value: res}})
	s.m.MeasureSince(durationKey, start)
}

// Close stops serving, waiting briefly for scrapes in flight.
func (s *Server) Close() error {
	if s == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), shutdownWait)
	defer cancel()
	err := s.srv.Shutdown(ctx)
	<-s.done
	return err
}
