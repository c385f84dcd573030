package cli

import (
	"fmt"
	"io"
	"log"
	"log/slog"

	"github.com/hashicorp/go-hclog"

	"github.com/mcgossip/go-discover-mcgossip/internal/hclogslog"
)

// parseLevel parses a -log-level value.
func parseLevel(s string) (hclog.Level, error) {
	l := hclog.LevelFromString(s)
	if l == hclog.NoLevel {
		return l, fmt.Errorf("invalid -log-level %q: must be trace, debug, info, warn, error or off", s)
	}
	return l, nil
}

// loggers returns the command's hclog logger on stderr and, for the
// engine, a *log.Logger that feeds it with the level inferred from each
// line's "[DEBUG] " style prefix and, under -log-json, a *slog.Logger that
// feeds it records (nil in text mode). def is the level used without
// -log-level; -q turns logging off.
//
// An engine given the *slog.Logger (its Config.Logger) writes JSON lines
// with @module (discover-mcgossip, discover-libcluster: hclogslog names
// the logger by the engine's module attribute) and the fields of each
// line (peer.addr, reason, src, counts). In text mode the engine writes
// its text lines, which hclog shows as they always were,
// "[DEBUG] discover-mcgossip: peer ... joined: ...": the fields would only
// repeat what the text says.
func (e *env) loggers(def hclog.Level) (hclog.Logger, *log.Logger, *slog.Logger) {
	level := def
	if e.opts.logLevel != "" {
		level, _ = parseLevel(e.opts.logLevel) // checked by options.check
	}
	var out io.Writer = e.stderr
	if e.opts.quiet {
		level, out = hclog.Off, io.Discard
	}
	hl := hclog.New(&hclog.LoggerOptions{
		Level:      level,
		Output:     out,
		JSONFormat: e.opts.logJSON,
	})
	std := hl.StandardLogger(&hclog.StandardLoggerOptions{InferLevels: true})
	var rec *slog.Logger
	if e.opts.logJSON {
		rec = slog.New(hclogslog.NewHandler(hl))
	}
	return hl, std, rec
}
