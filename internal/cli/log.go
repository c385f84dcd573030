package cli

import (
	"fmt"
	"io"
	"log"

	"github.com/hashicorp/go-hclog"
)

// parseLevel parses a -log-level value.
func parseLevel(s string) (hclog.Level, error) {
	l := hclog.LevelFromString(s)
	if l == hclog.NoLevel {
		return l, fmt.Errorf("invalid -log-level %q: must be trace, debug, info, warn, error or off", s)
	}
	return l, nil
}

// loggers returns the command's hclog logger on stderr and, for the engine,
// a *log.Logger that feeds it with the level inferred from each line's
// "[DEBUG] " style prefix. def is the level used without -log-level; -q
// turns logging off.
func (e *env) loggers(def hclog.Level) (hclog.Logger, *log.Logger) {
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
	return hl, std
}
