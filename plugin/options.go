package plugin

import (
	"encoding/hex"
	"errors"
	"fmt"
	"log"
	"time"

	hclog "github.com/hashicorp/go-hclog"
)

// Option configures NewProvider and Discover.
type Option func(*options) error

// options are what the Options set.
type options struct {
	name           string
	sha256         []byte
	logger         *log.Logger
	level          hclog.Level
	margin         time.Duration
	defaultTimeout time.Duration
	callTimeout    time.Duration
	startTimeout   time.Duration
	args           []string
	env            []string
}

// defaultOptions returns the options before any Option is applied.
func defaultOptions() options {
	return options{
		level:          hclog.Debug,
		margin:         2 * time.Second,
		defaultTimeout: 5 * time.Second,
		callTimeout:    10 * time.Second,
		startTimeout:   10 * time.Second,
	}
}

// WithName sets the name of the provider to call inside the plugin (default:
// the binary's name without the "go-discover-" prefix and ".exe", e.g.
// "mcgossip" for go-discover-mcgossip). A binary may serve several providers;
// its Info call lists them.
func WithName(name string) Option {
	return func(o *options) error {
		if name == "" {
			return errors.New("empty provider name")
		}
		o.name = name
		return nil
	}
}

// WithSHA256 makes every start of the plugin check that the binary's
// SHA-256 is sum (hex, 64 digits), through go-plugin's SecureConfig. On a
// mismatch the binary is not run and the call fails with an Error whose
// Code is FailedPrecondition.
func WithSHA256(sum string) Option {
	return func(o *options) error {
		b, err := hex.DecodeString(sum)
		if err != nil || len(b) != 32 {
			return fmt.Errorf("invalid SHA-256 checksum %q: must be 64 hexadecimal digits", sum)
		}
		o.sha256 = b
		return nil
	}
}

// WithLogger sets where the plugin's own log lines (start, exit, go-plugin
// internals) go when no Addrs call is in flight (default: discarded). During
// a call they go to the call's logger, with the provider's lines.
func WithLogger(l *log.Logger) Option {
	return func(o *options) error {
		o.logger = l
		return nil
	}
}

// WithLogLevel sets the lowest level of the plugin machinery's lines that
// are logged (default hclog.Debug). A provider's own lines are always passed
// on, as they would be in process.
func WithLogLevel(level hclog.Level) Option {
	return func(o *options) error {
		o.level = level
		return nil
	}
}

// WithTimeouts sets the Addrs deadline: the config's "timeout" argument (a
// Go duration; def when absent or invalid, default 5s) plus margin (default
// 2s) bounds a whole Addrs call, the plugin's start included. Zero keeps a
// default.
func WithTimeouts(def, margin time.Duration) Option {
	return func(o *options) error {
		if def < 0 || margin < 0 {
			return fmt.Errorf("invalid timeouts %v, %v: must not be negative", def, margin)
		}
		if def > 0 {
			o.defaultTimeout = def
		}
		if margin > 0 {
			o.margin = margin
		}
		return nil
	}
}

// WithStartTimeout bounds the plugin's start in the background (default
// 10s); the plugin is killed if it has not completed the handshake by then.
// A call waits for the start only until its own deadline. It also bounds
// Help and Info calls.
func WithStartTimeout(d time.Duration) Option {
	return func(o *options) error {
		if d <= 0 {
			return fmt.Errorf("invalid start timeout %v: must be positive", d)
		}
		o.startTimeout = d
		o.callTimeout = d
		return nil
	}
}

// WithArgs sets command line arguments for the plugin binary (default none).
func WithArgs(args ...string) Option {
	return func(o *options) error {
		o.args = append([]string(nil), args...)
		return nil
	}
}

// WithEnv adds "KEY=value" entries to the plugin's environment, which is
// otherwise the host's plus go-plugin's handshake variables; an entry
// replaces the host's variable of the same name.
func WithEnv(env ...string) Option {
	return func(o *options) error {
		o.env = append(o.env, env...)
		return nil
	}
}
