package plugin

import (
	"errors"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"reflect"
	"sync"
	"syscall"
	"time"

	hclog "github.com/hashicorp/go-hclog"
	goplugin "github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"

	"github.com/mcgossip/go-discover-mcgossip/internal/version"
	discoverv1 "github.com/mcgossip/go-discover-mcgossip/plugin/proto/discover/v1"
)

// ServeOption configures Serve.
type ServeOption func(*serveConfig)

// parentPoll is how often a plugin checks whether its host process died.
const parentPoll = 100 * time.Millisecond

// serveConfig is what the ServeOptions set.
type serveConfig struct {
	version      string
	logger       hclog.Logger
	code         func(error) codes.Code
	closeTimeout time.Duration
	// sets overrides the served protocol versions (tests).
	sets func(srv discoverv1.ProviderServiceServer) map[int]goplugin.PluginSet
}

// ServeVersion sets the version the Info call reports (default: what the
// command's "version" prints: the main module's version from the build
// info, "dev-<revision>" or "dev" for a local build).
func ServeVersion(v string) ServeOption {
	return func(c *serveConfig) { c.version = v }
}

// ServeLogger replaces the plugin's logger (default: hclog JSON at Trace on
// the process's stderr, which go-plugin forwards to the host at each line's
// level). Providers log through its StandardLogger with InferLevels, so a
// "[WARN] ..." line arrives at the host as a warning.
func ServeLogger(l hclog.Logger) ServeOption {
	return func(c *serveConfig) { c.logger = l }
}

// ServeCodes sets how a provider error maps to a gRPC status code before
// the default rules apply: f returning codes.Unknown (or OK) defers to them.
// The defaults: a GRPCStatus() method in the error chain, then context
// errors, then the errdefs marker methods InvalidParameter()
// (InvalidArgument) and NotFound() (NotFound), then errors.ErrUnsupported
// (Unimplemented), else Unknown.
func ServeCodes(f func(error) codes.Code) ServeOption {
	return func(c *serveConfig) { c.code = f }
}

// ServeCloseTimeout bounds how long Serve waits for the providers' Close
// when it shuts down (default 500ms; go-plugin's host kills a plugin that
// has not exited 2s after asking it to stop, and a plugin whose host died
// must be gone within a second).
func ServeCloseTimeout(d time.Duration) ServeOption {
	return func(c *serveConfig) { c.closeTimeout = d }
}

// Serve serves providers, keyed by the name a host asks for (e.g.
// "mcgossip"), as a go-discover plugin over gRPC, and returns when the
// plugin stops; a binary calls it from main when Launched reports true.
// Started by hand (without the handshake cookie), go-plugin prints a short
// notice on stderr and exits with status 1. Nothing is written to stdout
// before the handshake line.
//
// The plugin stops when the host kills its client, when it receives SIGTERM
// and when its host process dies, even by SIGKILL (the parent process id
// changes; it is polled every 100ms). It then closes every provider that
// has a Close() error method (mcgossip sends its Leave), bounded by
// ServeCloseTimeout, and Serve returns; after the host died, Serve exits the
// process with status 0 if closing overruns.
func Serve(providers map[string]Provider, opts ...ServeOption) {
	cfg := serveConfig{
		version:      version.String(),
		closeTimeout: 500 * time.Millisecond,
		sets:         pluginSets,
	}
	for _, o := range opts {
		o(&cfg)
	}
	logger := cfg.logger
	if logger == nil {
		logger = hclog.New(&hclog.LoggerOptions{
			Level:      hclog.Trace,
			Output:     os.Stderr,
			JSONFormat: true,
		})
	}
	srv := newServer(providers, cfg.version, filepath.Base(os.Args[0]), logger, cfg.code)

	// Once the host is gone, stderr is a pipe without reader: writing to it
	// must fail with EPIPE instead of killing the process before the
	// providers are closed.
	sigpipe := make(chan os.Signal, 1)
	signal.Notify(sigpipe, syscall.SIGPIPE)
	defer signal.Stop(sigpipe)

	var (
		mu       sync.Mutex
		gs       *grpc.Server
		stopped  bool
		hardExit *time.Timer
	)
	// stop ends serving on our own initiative (SIGTERM, host gone); a
	// timer exits the process if the providers do not close in time.
	stop := func(reason string) {
		mu.Lock()
		defer mu.Unlock()
		if stopped {
			return
		}
		stopped = true
		logger.Info("stopping the plugin", "reason", reason)
		hardExit = time.AfterFunc(cfg.closeTimeout+100*time.Millisecond, func() { os.Exit(0) })
		if gs != nil {
			gs.Stop() // goplugin.Serve returns
		}
	}

	done := make(chan struct{})
	defer close(done)
	go watchParent(os.Getppid(), parentPoll, done, func() { stop("the host process exited") })
	sigterm := make(chan os.Signal, 1)
	signal.Notify(sigterm, syscall.SIGTERM)
	defer signal.Stop(sigterm)
	go func() {
		select {
		case <-sigterm:
			stop("SIGTERM")
		case <-done:
		}
	}()

	goplugin.Serve(&goplugin.ServeConfig{
		HandshakeConfig:  Handshake,
		VersionedPlugins: cfg.sets(srv),
		GRPCServer: func(opts []grpc.ServerOption) *grpc.Server {
			s := grpc.NewServer(opts...)
			mu.Lock()
			defer mu.Unlock()
			gs = s
			if stopped {
				s.Stop() // its Serve returns at once
			}
			return s
		},
		Logger: logger,
	})

	closeProviders(providers, cfg.closeTimeout, logger)
	mu.Lock()
	if hardExit != nil {
		hardExit.Stop()
	}
	mu.Unlock()
}

// watchParent calls gone once the parent process changes (the parent died
// and the process was reparented), polling every period until done. A
// process whose parent is already init (ppid 1) is not watched.
func watchParent(ppid int, every time.Duration, done <-chan struct{}, gone func()) {
	if ppid <= 1 {
		return
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-done:
			return
		case <-t.C:
			if os.Getppid() != ppid {
				gone()
				return
			}
		}
	}
}

// closeProviders calls Close on each provider that has it (once per
// provider value), in parallel, and waits at most timeout.
func closeProviders(providers map[string]Provider, timeout time.Duration, logger hclog.Logger) {
	type closer interface{ Close() error }
	seen := map[any]bool{}
	var wg sync.WaitGroup
	errs := make(chan error, len(providers))
	for name, p := range providers {
		c, ok := p.(closer)
		if !ok {
			continue
		}
		if t := reflect.TypeOf(p); t != nil && t.Comparable() {
			if seen[p] {
				continue
			}
			seen[p] = true
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := c.Close(); err != nil {
				errs <- fmt.Errorf("closing provider %q: %w", name, err)
			}
		}()
	}
	finished := make(chan struct{})
	go func() {
		wg.Wait()
		close(finished)
	}()
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	select {
	case <-finished:
	case <-timer.C:
		logger.Warn("providers did not close in time", "timeout", timeout)
	}
	if err := errors.Join(drain(errs)...); err != nil {
		logger.Error("closing providers", "error", err)
	}
}

// drain returns the errors already sent on errs without waiting for
// closers that are still running (errs has room for every closer, so they
// never block; it is never closed).
func drain(errs chan error) []error {
	var out []error
	for {
		select {
		case err := <-errs:
			out = append(out, err)
		default:
			return out
		}
	}
}
