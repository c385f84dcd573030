package plugin

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	hclog "github.com/hashicorp/go-hclog"
	goplugin "github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	discoverv1 "github.com/mcgossip/go-discover-mcgossip/plugin/proto/discover/v1"
)

// binaryPrefix starts the file name of a go-discover provider plugin.
const binaryPrefix = "go-discover-"

// crashWait bounds how long a failed call waits (within its deadline) for
// the plugin process to be reaped before it decides between "the plugin
// crashed" and "the connection broke".
const crashWait = time.Second

// logWait bounds how long a call waits for the plugin's end-of-call log
// line (normally microseconds behind the answer).
const logWait = time.Second

// killGrace bounds how long stopping a plugin waits for go-plugin's kill
// (a graceful stop, then SIGKILL of the plugin process after 2s) before it
// kills the plugin's whole process group: go-plugin returns only once the
// plugin's stdout and stderr are closed, which a child the plugin forked
// keeps open. killWait bounds the wait after that.
const (
	killGrace = 3 * time.Second
	killWait  = 2 * time.Second
)

// RemoteProvider is a go-discover provider served by a plugin binary. It
// has the methods of go-discover's Provider and ProviderWithUserAgent, so it
// goes into discover.WithProviders as is. It starts the plugin on first use
// (go-plugin, gRPC only, AutoMTLS, managed: goplugin.CleanupClients kills
// it) and starts a new one when the plugin has died. Its methods are safe
// for concurrent use; Close kills the plugin.
//
// Log lines: during an Addrs call, the provider's lines go to the call's
// logger as the provider wrote them; the plugin machinery's lines (start,
// exit, a crashing plugin's panic) at or above WithLogLevel go to the
// loggers of the calls in flight, or to WithLogger's logger outside calls,
// as do lines a provider logs in the background between calls.
type RemoteProvider struct {
	path string // absolute
	base string // file name, for messages
	o    options
	logs *logRouter

	mu     sync.Mutex
	inst   *instance // current plugin process, nil before the first call
	closed bool
	ua     string

	bg sync.WaitGroup // kills of dropped instances
}

// instance is one plugin process (or, in tests, an in-process connection).
type instance struct {
	ready  chan struct{} // closed when the start finished; then stub or err is set
	stub   *stub
	err    error
	log    *hostLogger
	kill   func()      // blocks until the process is gone
	exited func() bool // the process has exited
	// overruns counts the calls in a row that ran out of time; an answer
	// resets it. At maxOverruns the plugin is taken for hung and replaced.
	overruns atomic.Int32
}

// maxOverruns is how many calls in a row may run out of time before the
// plugin is taken for hung: the next call starts a new one.
const maxOverruns = 3

// started reports whether the start finished (successfully or not).
func (i *instance) started() bool {
	select {
	case <-i.ready:
		return true
	default:
		return false
	}
}

// exitText describes how the process exited, from go-plugin's log entry.
func (i *instance) exitText() string {
	if s := i.log.exit.get(); s != "" {
		return s
	}
	return "no exit status"
}

// Info describes a plugin binary.
type Info struct {
	// Version is the plugin binary's version.
	Version string
	// Providers are the names of the providers it serves, sorted.
	Providers []string
	// Protocol is the plugin protocol version of the connection.
	Protocol int
}

// NewProvider returns the provider served by the plugin binary at path. It
// does not run the binary: the first Addrs, Help or Info call starts it.
// The provider name sent to the plugin defaults to the file name without
// the "go-discover-" prefix (see WithName).
func NewProvider(path string, opts ...Option) (*RemoteProvider, error) {
	base := filepath.Base(path)
	o := defaultOptions()
	for _, opt := range opts {
		if err := opt(&o); err != nil {
			return nil, fmt.Errorf("plugin %s: %w", base, err)
		}
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("plugin %s: %w", base, err)
	}
	fi, err := os.Stat(abs)
	switch {
	case err != nil:
		return nil, fmt.Errorf("plugin %s: %w", base, err)
	case !fi.Mode().IsRegular():
		return nil, fmt.Errorf("plugin %s: %s is not a regular file", base, abs)
	case runtime.GOOS != "windows" && fi.Mode().Perm()&0o111 == 0:
		return nil, fmt.Errorf("plugin %s: %s is not executable", base, abs)
	}
	if o.name == "" {
		o.name = strings.TrimPrefix(strings.TrimSuffix(base, ".exe"), binaryPrefix)
	}
	return &RemoteProvider{path: abs, base: base, o: o, logs: newLogRouter(o.level, o.logger)}, nil
}

// Name returns the name of the provider inside the plugin.
func (p *RemoteProvider) Name() string { return p.o.name }

// Path returns the absolute path of the plugin binary.
func (p *RemoteProvider) Path() string { return p.path }

// SetUserAgent sets the user agent passed to the plugin's provider with
// each Addrs call (go-discover's ProviderWithUserAgent).
func (p *RemoteProvider) SetUserAgent(s string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.ua = s
}

// Addrs calls the plugin's provider with args; the provider's log lines go
// to l (nil: discarded), at their level, before Addrs returns. The call,
// the plugin's start included, is bounded by the config's "timeout"
// argument (default 5s) plus a margin (default 2s, see WithTimeouts). An
// error of the provider comes back with its message unchanged; errors of
// the plugin machinery are *Error values starting with "plugin <binary>:".
// When the plugin crashed during the call, the error says so and the next
// call starts a new plugin process.
func (p *RemoteProvider) Addrs(args map[string]string, l *log.Logger) ([]string, error) {
	timeout := p.o.defaultTimeout
	if s, ok := args["timeout"]; ok {
		if d, err := time.ParseDuration(s); err == nil && d > 0 {
			timeout = d
		}
	}
	budget := timeout + p.o.margin
	ctx, cancel := context.WithTimeout(context.Background(), budget)
	defer cancel()

	id, ended, unregister := p.logs.open(l)
	defer unregister()

	inst, err := p.instance(ctx, "Addrs", budget)
	if err != nil {
		return nil, err
	}
	p.mu.Lock()
	ua := p.ua
	p.mu.Unlock()
	var trailer metadata.MD
	resp, err := inst.stub.rpc.Addrs(ctx, &discoverv1.AddrsRequest{
		Provider:  p.o.name,
		Args:      args,
		UserAgent: ua,
		LogId:     id,
	}, grpc.Trailer(&trailer))
	if len(trailer.Get(loggedKey)) > 0 {
		// The provider's last lines may still be in the stderr pipe.
		timer := time.NewTimer(logWait)
		select {
		case <-ended:
		case <-timer.C:
		}
		timer.Stop()
	}
	if err != nil {
		return nil, p.callError(ctx, inst, "Addrs", err, trailer,
			fmt.Sprintf("%v (timeout %v + margin %v)", budget, timeout, p.o.margin))
	}
	inst.overruns.Store(0)
	addrs := resp.GetAddrs()
	if addrs == nil {
		addrs = []string{} // proto3 cannot tell; providers return empty slices
	}
	return addrs, nil
}

// Help returns the plugin provider's Help text. Help cannot fail, so when
// the plugin cannot be asked, the text says why.
func (p *RemoteProvider) Help() string {
	ctx, cancel := context.WithTimeout(context.Background(), p.o.callTimeout)
	defer cancel()
	inst, err := p.instance(ctx, "Help", p.o.callTimeout)
	if err == nil {
		var resp *discoverv1.HelpResponse
		var trailer metadata.MD
		resp, err = inst.stub.rpc.Help(ctx, &discoverv1.HelpRequest{Provider: p.o.name}, grpc.Trailer(&trailer))
		if err == nil {
			inst.overruns.Store(0)
			return resp.GetHelp()
		}
		err = p.callError(ctx, inst, "Help", err, trailer, p.o.callTimeout.String())
	}
	return fmt.Sprintf("%s (plugin %s):\n\n    Help is unavailable: %v\n", p.o.name, p.path, err)
}

// Info asks the plugin for its version and the providers it serves.
func (p *RemoteProvider) Info() (Info, error) {
	ctx, cancel := context.WithTimeout(context.Background(), p.o.callTimeout)
	defer cancel()
	inst, err := p.instance(ctx, "Info", p.o.callTimeout)
	if err != nil {
		return Info{}, err
	}
	var trailer metadata.MD
	resp, err := inst.stub.rpc.Info(ctx, &discoverv1.InfoRequest{}, grpc.Trailer(&trailer))
	if err != nil {
		return Info{}, p.callError(ctx, inst, "Info", err, trailer, p.o.callTimeout.String())
	}
	inst.overruns.Store(0)
	return Info{
		Version:   resp.GetVersion(),
		Providers: resp.GetProviders(),
		Protocol:  int(resp.GetProtocolVersion()),
	}, nil
}

// Close stops the plugin process, if one runs (go-plugin's graceful stop,
// then SIGKILL to the plugin and every process it forked), and waits until
// it is gone, 5s at the most. Later calls fail with ErrClosed. Close is
// idempotent and returns nil.
func (p *RemoteProvider) Close() error {
	p.mu.Lock()
	inst := p.inst
	p.inst = nil
	p.closed = true
	p.mu.Unlock()
	if inst != nil {
		<-inst.ready // a kill before the start would miss the process
		inst.kill()
	}
	p.bg.Wait()
	return nil
}

// instance returns a started plugin, starting a new one when there is none
// or the last one died; it waits for the start until ctx is done.
func (p *RemoteProvider) instance(ctx context.Context, op string, budget time.Duration) (*instance, error) {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil, &Error{Code: codes.FailedPrecondition, Msg: fmt.Sprintf("plugin %s: %s after Close", p.base, op), Err: ErrClosed}
	}
	inst := p.inst
	if inst != nil && inst.started() && (inst.err != nil || inst.exited()) {
		if inst.err == nil {
			p.logs.emit(hclog.Warn, "plugin", fmt.Sprintf("%s: the plugin process had exited (%s); starting a new one", p.base, inst.exitText()), nil)
		}
		p.dropLocked(inst)
		inst = nil
	}
	if inst == nil {
		inst = p.launch()
		p.inst = inst
	}
	p.mu.Unlock()

	select {
	case <-inst.ready:
		if inst.err != nil {
			p.drop(inst)
			return nil, inst.err
		}
		return inst, nil
	case <-ctx.Done():
		return nil, &Error{
			Code: codes.DeadlineExceeded,
			Msg:  fmt.Sprintf("plugin %s: %s: the plugin did not start within %v", p.base, op, budget),
			Err:  ctx.Err(),
		}
	}
}

// launch starts a plugin process in the background.
func (p *RemoteProvider) launch() *instance {
	hl := newHostLogger(p.logs, "plugin")
	cmd := exec.Command(p.path, p.o.args...)
	// The host's environment, then WithEnv's entries (the last of equal
	// keys wins), then go-plugin's handshake variables.
	cmd.Env = append(os.Environ(), p.o.env...)
	ownProcessGroup(cmd)
	cfg := &goplugin.ClientConfig{
		HandshakeConfig:  Handshake,
		VersionedPlugins: pluginSets(nil),
		Cmd:              cmd,
		AllowedProtocols: []goplugin.Protocol{goplugin.ProtocolGRPC},
		AutoMTLS:         true,
		Managed:          true,
		StartTimeout:     p.o.startTimeout,
		Logger:           hl,
		Stderr:           io.Discard,
		SkipHostEnv:      true, // cmd.Env has it already
	}
	if p.o.sha256 != nil {
		cfg.SecureConfig = &goplugin.SecureConfig{Checksum: p.o.sha256, Hash: sha256.New()}
	}
	client := goplugin.NewClient(cfg)
	inst := &instance{ready: make(chan struct{}), log: hl, kill: func() { kill(client, cmd) }, exited: client.Exited}
	go func() {
		defer close(inst.ready)
		inst.stub, inst.err = p.start(client, cmd)
	}()
	return inst
}

// kill stops a plugin that was started with cmd and returns within
// killGrace+killWait: go-plugin's kill (graceful, then forced), and after
// it, or when it is still waiting after killGrace, SIGKILL to the plugin's
// process group, so no child the plugin forked outlives it. The group id
// is the plugin's process id, which cannot be taken by another process
// while go-plugin has not reaped the plugin or while a member of its group
// lives.
func kill(client *goplugin.Client, cmd *exec.Cmd) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		client.Kill()
	}()
	timer := time.NewTimer(killGrace)
	defer timer.Stop()
	select {
	case <-done:
	case <-timer.C:
	}
	if cmd.Process != nil {
		killProcessGroup(cmd.Process.Pid)
	}
	timer.Reset(killWait)
	select {
	case <-done:
	case <-timer.C:
	}
}

// start runs the plugin and dispenses the stub; on failure the process is
// killed.
func (p *RemoteProvider) start(client *goplugin.Client, cmd *exec.Cmd) (*stub, error) {
	rpc, err := client.Client()
	if err == nil {
		var raw interface{}
		raw, err = rpc.Dispense(pluginName)
		if st, ok := raw.(*stub); ok && err == nil {
			return st, nil
		} else if err == nil {
			err = fmt.Errorf("unexpected plugin client type %T", raw)
		}
	}
	kill(client, cmd)
	switch {
	case errors.Is(err, goplugin.ErrChecksumsDoNotMatch):
		return nil, &Error{
			Code: codes.FailedPrecondition,
			Msg: fmt.Sprintf("plugin %s: checksum mismatch: %s has SHA-256 %s, want %s; it was not run",
				p.base, p.path, fileSHA256(p.path), hex.EncodeToString(p.o.sha256)),
			Err: err,
		}
	// go-plugin (v1.8) has a sentinel for a checksum mismatch, but reports a
	// version mismatch only as text (fmt.Errorf in client.go), so that text
	// is what tells it.
	case strings.Contains(err.Error(), "incompatible API version"),
		strings.Contains(err.Error(), "incompatible core API version"),
		strings.Contains(err.Error(), "unsupported plugin protocol"):
		return nil, &Error{
			Code: codes.FailedPrecondition,
			Msg: fmt.Sprintf("plugin %s: incompatible plugin: this host speaks plugin protocol %d over gRPC: %s",
				p.base, ProtocolVersion, oneLine(err.Error())),
			Err: err,
		}
	}
	return nil, &Error{
		Code: codes.Unavailable,
		Msg:  fmt.Sprintf("plugin %s: starting %s: %s", p.base, p.path, oneLine(err.Error())),
		Err:  err,
	}
}

// callError turns the error of a call into an *Error: the plugin's answer
// as is, a deadline, a crash (the process exited) or a broken connection.
// After a crash or a broken connection the instance is dropped, so that
// the next call starts a new plugin.
func (p *RemoteProvider) callError(ctx context.Context, inst *instance, op string, err error, trailer metadata.MD, within string) error {
	st := status.Convert(err)
	if len(trailer.Get(answerKey)) > 0 {
		inst.overruns.Store(0)
		e := &Error{Code: st.Code(), Msg: st.Message()}
		if e.Code == codes.InvalidArgument {
			e.Err = ErrInvalidParameter
		}
		return e
	}
	p.mu.Lock()
	closed := p.closed
	p.mu.Unlock()
	if closed {
		return &Error{Code: codes.Canceled, Msg: fmt.Sprintf("plugin %s: %s interrupted by Close", p.base, op), Err: ErrClosed}
	}
	if ctx.Err() != nil || st.Code() == codes.DeadlineExceeded {
		msg := fmt.Sprintf("plugin %s: %s did not return within %s", p.base, op, within)
		if inst.overruns.Add(1) >= maxOverruns {
			p.drop(inst)
			msg += fmt.Sprintf("; the plugin let %d calls in a row run out of time, so the next call starts a new one", maxOverruns)
		}
		return &Error{Code: codes.DeadlineExceeded, Msg: msg, Err: context.DeadlineExceeded}
	}
	timer := time.NewTimer(crashWait)
	defer timer.Stop()
	exited := false
	select {
	case <-inst.stub.exited.Done():
		exited = true
	case <-timer.C:
	case <-ctx.Done(): // the call's bound holds
	}
	p.drop(inst)
	if exited {
		return &Error{
			Code: codes.Unavailable,
			Msg: fmt.Sprintf("plugin %s: the plugin process exited during %s (%s); the next call starts a new one",
				p.base, op, inst.exitText()),
			Err: ErrExited,
		}
	}
	return &Error{
		Code: codes.Unavailable,
		Msg: fmt.Sprintf("plugin %s: lost the connection to the plugin during %s: %s; the next call starts a new plugin",
			p.base, op, st.Message()),
		Err: err,
	}
}

// drop forgets inst (if it is still current) and kills it in the
// background; Close waits for such kills.
func (p *RemoteProvider) drop(inst *instance) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.dropLocked(inst)
}

func (p *RemoteProvider) dropLocked(inst *instance) {
	if p.inst != inst {
		return
	}
	p.inst = nil
	p.bg.Add(1)
	go func() {
		defer p.bg.Done()
		<-inst.ready
		inst.kill()
	}()
}

// fileSHA256 returns the hex SHA-256 of a file, or why it has none.
func fileSHA256(path string) string {
	f, err := os.Open(path)
	if err != nil {
		return "unknown (" + err.Error() + ")"
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "unknown (" + err.Error() + ")"
	}
	return hex.EncodeToString(h.Sum(nil))
}

// oneLine joins the lines of go-plugin's multi-line messages.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
