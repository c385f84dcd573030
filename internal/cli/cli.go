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
// default way. Run returns only when every goroutine it started has ended.
func Run(args []string, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// After the first signal, restore the default handling so a second
	// Ctrl-C ends a process that is slow to stop.
	unhook := context.AfterFunc(ctx, stop)
	defer unhook()
	return RunContext(ctx, args, stdout, stderr)
}

// RunContext is Run with the caller's context instead of signal handling:
// cancelling ctx is what a SIGINT or SIGTERM does to Run.
func RunContext(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	var o options
	fs := o.flagSet("")
	if err := fs.Parse(args); err != nil {
		return usageError(stderr, err)
	}
	rest := fs.Args()
	if o.help || len(rest) == 0 {
		printUsage(stdout)
		return ExitOK
	}
	cmd, rest := rest[0], rest[1:]
	c, ok := commands[cmd]
	if !ok {
		if k, _, isArg := strings.Cut(cmd, "="); isArg {
			// A key=value argument before any command: its value may be
			// a cookie, so it is not shown.
			return usageError(stderr, fmt.Errorf("missing command before %q: key=value arguments come after the command", k+"=<hidden>"))
		}
		return usageError(stderr, fmt.Errorf("unknown command %q", cmd))
	}
	fs = o.flagSet(cmd)
	if err := fs.Parse(rest); err != nil {
		return usageError(stderr, err)
	}
	if o.help {
		printUsage(stdout)
		return ExitOK
	}
	if err := o.check(cmd); err != nil {
		return usageError(stderr, err)
	}
	env := &env{ctx: ctx, opts: o, args: fs.Args(), stdout: stdout, stderr: stderr}
	run := c.run
	if lc, ok := libclusterCommands[cmd]; ok && env.providerOf() == "libcluster" {
		run = lc
	}
	if err := run(env); err != nil {
		var ue usageErr
		if errors.As(err, &ue) {
			return usageError(stderr, err)
		}
		printError(stderr, err)
		return ExitError
	}
	return ExitOK
}

// command is one subcommand.
type command struct {
	run   func(*env) error
	flags []string // the flags it accepts, besides -h and -q
}

// commands maps each subcommand's name to its implementation.
var commands = map[string]command{
	"addrs":   {run: runAddrs, flags: []string{"log-level", "log-json"}},
	"agent":   {run: runAgent, flags: []string{"log-level", "log-json"}},
	"watch":   {run: runWatch, flags: []string{"log-level", "log-json"}},
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
}

// options are the command-line flags. Every flag may be given before or
// after the command name; key=val arguments come after all flags.
type options struct {
	help     bool
	quiet    bool
	logLevel string
	logJSON  bool
	set      map[string]bool // flags given on the command line
}

// flagSet returns a flag set filling o. cmd is "" for the flags before the
// command name.
func (o *options) flagSet(cmd string) *countingFlagSet {
	name := progName
	if cmd != "" {
		name += " " + cmd
	}
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard) // Run prints its own one-line error and usage
	fs.BoolVar(&o.help, "h", o.help, "print help")
	fs.BoolVar(&o.help, "help", o.help, "print help")
	fs.BoolVar(&o.quiet, "q", o.quiet, "log nothing on stderr")
	fs.StringVar(&o.logLevel, "log-level", o.logLevel, "log level")
	fs.BoolVar(&o.logJSON, "log-json", o.logJSON, "log JSON lines")
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
	return nil
}

// usageErr marks an error as a usage error (exit 2).
type usageErr struct{ error }

// Unwrap returns the wrapped error.
func (u usageErr) Unwrap() error { return u.error }

// usageError prints err on one line and the usage on stderr, and returns
// ExitUsage. flag.ErrHelp cannot happen: -h is a declared flag.
func usageError(stderr io.Writer, err error) int {
	fmt.Fprintf(stderr, "%s: %v\n\n", progName, err)
	printShortUsage(stderr)
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

// runHelp prints the usage and the provider's help on stdout. Arguments
// (help addrs) are accepted and ignored: there is one usage text.
func runHelp(e *env) error {
	printUsage(e.stdout)
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
