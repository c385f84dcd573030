// Package cli implements the go-discover-mcgossip command: addrs (go-discover's
// `discover addrs` contract, usable behind go-netaddrs exec=), agent, watch,
// keygen, help and version. main.go calls Run; RunContext, the exit codes,
// NewCookie and ParseArgs are exported for the end-to-end tests of
// test/clitest.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/mcgossip/go-discover-mcgossip/internal/metrics"
)

// progName is the program's name, used in messages and the usage text.
const progName = "go-discover-mcgossip"

// Exit codes returned by Run.
const (
	ExitOK    = 0 // success
	ExitError = 1 // runtime or configuration error
	ExitUsage = 2 // unknown command or flag, bad flag value
)

// maxErrLen bounds the error message written to stderr: go-netaddrs reads
// at most 1024 bytes of it.
const maxErrLen = 1024

// Run runs the command line args (without the program name) and returns the
// exit code. SIGINT and SIGTERM cancel the running command: agent and watch
// then stop cleanly and return 0; a second signal kills the process the
// default way. The agent also handles SIGHUP and SIGUSR1 (see runAgent);
// for the other commands they keep their default action. Run returns only
// when every goroutine it started has ended.
func Run(args []string, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// After the first signal, restore the default handling so a second
	// Ctrl-C ends a process that is slow to stop.
	unhook := context.AfterFunc(ctx, stop)
	defer unhook()
	return run(ctx, args, stdout, stderr, true)
}

// RunContext is Run with the caller's context instead of signal handling:
// cancelling ctx is what a SIGINT or SIGTERM does to Run. The agent
// handles no signal either.
func RunContext(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return run(ctx, args, stdout, stderr, false)
}

// run parses args and runs the command; signals says whether the command
// may handle signals of its own (Run) or not (RunContext).
func run(ctx context.Context, args []string, stdout, stderr io.Writer, signals bool) int {
	var o options
	fs := o.flagSet("")
	if err := fs.Parse(args); err != nil {
		return usageError(stderr, "", err)
	}
	rest := fs.Args()
	switch {
	case o.version: // -v, -version, --version, as HashiCorp's commands have
		return exitCode(stderr, "version", runVersion(&env{stdout: stdout}))
	case o.help || len(rest) == 0:
		printUsage(stdout)
		return ExitOK
	}
	cmd, rest := rest[0], rest[1:]
	c, ok := commands[cmd]
	if !ok {
		if k, _, isArg := strings.Cut(cmd, "="); isArg {
			// A key=value argument before any command: its value may be
			// a cookie, so it is not shown.
			return usageError(stderr, "", fmt.Errorf("missing command before %q: key=value arguments come after the command", k+"=<hidden>"))
		}
		return usageError(stderr, "", fmt.Errorf("unknown command %q", cmd))
	}
	fs = o.flagSet(cmd)
	if err := fs.Parse(rest); err != nil {
		return usageError(stderr, cmd, err)
	}
	if o.help {
		printCommandHelp(stdout, cmd)
		return ExitOK
	}
	if err := o.check(cmd); err != nil {
		return usageError(stderr, cmd, err)
	}
	env := &env{ctx: ctx, opts: o, args: fs.Args(), stdout: stdout, stderr: stderr, signals: signals}
	run := c.run
	if lc, ok := libclusterCommands[cmd]; ok && env.providerOf() == "libcluster" {
		run = lc
	}
	return exitCode(stderr, cmd, run(env))
}

// exitCode prints err, if any, the way its kind wants (a usage error with
// the hint, any other on one line) and returns the exit code for it.
func exitCode(stderr io.Writer, cmd string, err error) int {
	if err == nil {
		return ExitOK
	}
	var ue usageErr
	if errors.As(err, &ue) {
		return usageError(stderr, cmd, err)
	}
	printError(stderr, err)
	return ExitError
}

// command is one subcommand.
type command struct {
	run   func(*env) error
	flags []string // the flags it accepts, besides -h and -q
}

// commands maps each subcommand's name to its implementation.
var commands = map[string]command{
	"addrs":   {run: runAddrs, flags: []string{"log-level", "log-json", "json"}},
	"agent":   {run: runAgent, flags: []string{"log-level", "log-json", "metrics-addr"}},
	"watch":   {run: runWatch, flags: []string{"log-level", "log-json", "json"}},
	"keygen":  {run: runKeygen},
	"help":    {run: runHelp},
	"version": {run: runVersion},
}

// env is what a command runs with.
type env struct {
	ctx    context.Context
	opts   options
	args   []string // key=val ... (flags removed)
	stdout io.Writer
	stderr io.Writer
	// signals is true when the command may take signals for itself
	// (Run, not RunContext).
	signals bool
	// inlineCookie is true when the config arguments hold cookie=, which
	// startEngine warns about.
	inlineCookie bool
}

// options are the command-line flags. Every flag may be given before or
// after the command name; key=val arguments come after all flags.
type options struct {
	help        bool
	version     bool // only before the command
	quiet       bool
	logLevel    string
	logJSON     bool
	json        bool            // addrs, watch: JSON on stdout
	metricsAddr string          // agent: where to serve Prometheus metrics
	set         map[string]bool // flags given on the command line
}

// flagSet returns a flag set filling o. cmd is "" for the flags before the
// command name.
func (o *options) flagSet(cmd string) *countingFlagSet {
	name := progName
	if cmd != "" {
		name += " " + cmd
	}
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard) // Run prints its own one-line error and hint
	fs.BoolVar(&o.help, "h", o.help, "print help")
	fs.BoolVar(&o.help, "help", o.help, "print help")
	if cmd == "" {
		fs.BoolVar(&o.version, "v", o.version, "print the version")
		fs.BoolVar(&o.version, "version", o.version, "print the version")
	}
	fs.BoolVar(&o.quiet, "q", o.quiet, "log nothing on stderr")
	fs.StringVar(&o.logLevel, "log-level", o.logLevel, "log level")
	fs.BoolVar(&o.logJSON, "log-json", o.logJSON, "log JSON lines")
	fs.BoolVar(&o.json, "json", o.json, "print JSON on stdout")
	fs.StringVar(&o.metricsAddr, "metrics-addr", o.metricsAddr, "serve Prometheus metrics")
	if o.set == nil {
		o.set = map[string]bool{}
	}
	return &countingFlagSet{FlagSet: fs, set: o.set}
}

// countingFlagSet records which flags were given.
type countingFlagSet struct {
	*flag.FlagSet
	set map[string]bool
}

// Parse parses args and records the flags that were set.
func (c *countingFlagSet) Parse(args []string) error {
	if err := c.FlagSet.Parse(args); err != nil {
		return err
	}
	c.Visit(func(f *flag.Flag) { c.set[f.Name] = true })
	return nil
}

// check rejects flags that the command does not use and bad flag values.
func (o *options) check(cmd string) error {
	allowed := map[string]bool{"h": true, "help": true, "q": true}
	for _, f := range commands[cmd].flags {
		allowed[f] = true
	}
	for f := range o.set {
		if !allowed[f] {
			return usageErr{fmt.Errorf("flag -%s does not apply to %s", f, cmd)}
		}
	}
	if o.logLevel != "" {
		if _, err := parseLevel(o.logLevel); err != nil {
			return usageErr{err}
		}
	}
	if o.set["metrics-addr"] {
		if err := metrics.CheckAddr(o.metricsAddr); err != nil {
			return usageErr{err}
		}
	}
	return nil
}

// usageErr marks an error as a usage error (exit 2).
type usageErr struct{ error }

// Unwrap returns the wrapped error.
func (u usageErr) Unwrap() error { return u.error }

// usageError prints err on one line and, on a second, where the usage is
// (the command's help when cmd is known), and returns ExitUsage.
// flag.ErrHelp cannot happen: -h is a declared flag.
func usageError(stderr io.Writer, cmd string, err error) int {
	help := progName + " help"
	if cmd != "" && cmd != "help" {
		help += " " + cmd
	}
	fmt.Fprintf(stderr, "%s: %v\nrun '%s' for usage\n", progName, err, help)
	return ExitUsage
}

// printError writes err to stderr on one line, cut to maxErrLen bytes.
func printError(stderr io.Writer, err error) {
	msg := strings.ReplaceAll(err.Error(), "\n", " ")
	if len(msg) > maxErrLen-1 {
		msg = strings.ToValidUTF8(msg[:maxErrLen-4], "") + "..."
	}
	fmt.Fprintln(stderr, msg)
}

// runHelp prints the usage and the provider's help on stdout, or with a
// command's name (help addrs) that command's help, as `addrs -h` does.
func runHelp(e *env) error {
	switch len(e.args) {
	case 0:
		printUsage(e.stdout)
	case 1:
		if _, ok := commandHelp[e.args[0]]; !ok {
			return usageErr{fmt.Errorf("unknown command %q", e.args[0])}
		}
		printCommandHelp(e.stdout, e.args[0])
	default:
		return usageErr{fmt.Errorf("help takes one command at most, got %d (not shown)", len(e.args))}
	}
	return nil
}

// noArgs returns a usage error if the command got arguments. It does not
// repeat them: one may be a cookie.
func noArgs(e *env, cmd string) error {
	if len(e.args) > 0 {
		return usageErr{fmt.Errorf("%s takes no arguments, got %d (not shown)", cmd, len(e.args))}
	}
	return nil
}
