package cli

import (
	"errors"
	"fmt"
	"strings"

	"github.com/hashicorp/go-hclog"

	"github.com/mcgossip/go-discover-mcgossip/provider/libcluster"
)

// The commands for provider=libcluster, which only observes: addrs and
// watch. RunContext picks them by the provider= key (see providerOf).
var libclusterCommands = map[string]func(*env) error{
	"addrs": runLibclusterAddrs,
	"watch": runLibclusterWatch,
	"agent": func(*env) error {
		return errors.New("discover-libcluster: invalid provider \"libcluster\" for agent: provider=libcluster only listens to libcluster's heartbeats; use addrs or watch")
	},
}

// providerOf returns the value of the provider= key of the command's
// key=val arguments, "" when absent or when they do not parse (the
// command then reports the parse error).
func (e *env) providerOf() string {
	args, err := ParseArgs(strings.Join(e.args, " "))
	if err != nil {
		return ""
	}
	return args["provider"]
}

// parseLibcluster parses the command's key=val arguments for the
// libcluster provider.
func (e *env) parseLibcluster() (*libcluster.Config, error) {
	args, err := ParseArgs(strings.Join(e.args, " "))
	if err != nil {
		return nil, fmt.Errorf("discover-libcluster: %w", err)
	}
	return libcluster.ParseConfig(args)
}

// runLibclusterAddrs is addrs for provider=libcluster: one lookup, the
// addresses on one line.
func runLibclusterAddrs(e *env) error {
	cfg, err := e.parseLibcluster()
	if err != nil {
		return err
	}
	_, std, rec := e.loggers(hclog.Info)
	cfg.Logger = rec
	eng, err := libcluster.NewEngine(cfg, std)
	if err != nil {
		return err
	}
	nodes, err := eng.Discover(e.ctx)
	if cerr := eng.Close(); err == nil && cerr != nil {
		err = cerr
	}
	if err != nil {
		if e.ctx.Err() != nil {
			return fmt.Errorf("discover-libcluster: addrs interrupted: %w", err)
		}
		return err
	}
	_, err = fmt.Fprintln(e.stdout, strings.Join(libcluster.Addrs(nodes, cfg.DistPort), " "))
	return err
}

// runLibclusterWatch is watch for provider=libcluster: one line per node
// listed, rejected or forgotten, until the context is cancelled:
//
//	2006-01-02T15:04:05.000Z join app@10.0.0.5 10.0.0.5 port=40123
func runLibclusterWatch(e *env) error {
	cfg, err := e.parseLibcluster()
	if err != nil {
		return err
	}
	hl, std, rec := e.loggers(hclog.Warn)
	cfg.Logger = rec
	eng, err := libcluster.NewEngine(cfg, std)
	if err != nil {
		return err
	}
	events, unsubscribe := eng.Events()
	hl.Info("watch started", "group", fmt.Sprintf("%s:%d", cfg.MulticastAddr, cfg.Port))
	var werr error
	for done := false; !done && werr == nil; {
		select {
		case <-e.ctx.Done():
			done = true
		case ev := <-events: // closed only by unsubscribe or Close, below
			s := ev.Time.UTC().Format("2006-01-02T15:04:05.000Z") + " " + ev.Kind.String() + " " + string(ev.Node.Node) + " " + ev.Node.Addr.String()
			if ev.Node.Port != 0 {
				s += fmt.Sprintf(" port=%d", ev.Node.Port)
			}
			if ev.Err != nil {
				s += " error=" + quoteIfNeeded(ev.Err.Error())
			}
			_, werr = fmt.Fprintln(e.stdout, s)
		}
	}
	unsubscribe()
	if cerr := eng.Close(); werr == nil {
		werr = cerr
	}
	return werr
}
