// Package hclogslog writes log/slog records to a go-hclog logger, so that a
// library that logs through slog (the providers' engines) shows up in the
// command's hclog output, text or JSON, as hclog's own lines do. hclog
// v1.6.3 has no slog handler of its own; this is the small part the
// command needs.
//
// The mapping:
//   - levels: below Debug is Trace, then Debug, Info, Warn, and Error from
//     slog.LevelError up; Enabled asks the hclog logger's level;
//   - attributes become hclog's key/value arguments, the values as slog
//     resolved them (LogValuers resolved; durations, times, errors and
//     numbers as Go values, which hclog renders as it renders its own);
//   - groups are flattened: a group "peer" with "addr" gives the key
//     "peer.addr" (hclog has no nesting); a group with an empty key is
//     inlined, an empty group left out, as slog's handler rules say;
//   - an attribute module=<name> given to WithAttrs outside any group
//     (as in logger.With("module", "discover-mcgossip")) names the logger
//     instead (hclog's Named, so @module in JSON and "name: " in text)
//     rather than becoming a field;
//   - a record's time and source are hclog's (the time of the write).
package hclogslog

import (
	"context"
	"log/slog"

	"github.com/hashicorp/go-hclog"
)

// ModuleKey is the attribute key that WithAttrs turns into the hclog
// logger's name.
const ModuleKey = "module"

// handler is a slog.Handler writing to an hclog.Logger.
type handler struct {
	hl     hclog.Logger
	prefix string // the open groups, "a.b.", for the keys
}

// NewHandler returns a slog.Handler that writes to hl.
func NewHandler(hl hclog.Logger) slog.Handler { return &handler{hl: hl} }

// level returns the hclog level of a slog level.
func level(l slog.Level) hclog.Level {
	switch {
	case l < slog.LevelDebug:
		return hclog.Trace
	case l < slog.LevelInfo:
		return hclog.Debug
	case l < slog.LevelWarn:
		return hclog.Info
	case l < slog.LevelError:
		return hclog.Warn
	}
	return hclog.Error
}

// Enabled reports whether hl writes lines at level.
func (h *handler) Enabled(_ context.Context, l slog.Level) bool {
	return level(l) >= h.hl.GetLevel()
}

// Handle writes r through hl.
func (h *handler) Handle(_ context.Context, r slog.Record) error {
	args := make([]any, 0, 2*r.NumAttrs())
	r.Attrs(func(a slog.Attr) bool {
		args = appendAttr(args, h.prefix, a)
		return true
	})
	h.hl.Log(level(r.Level), r.Message, args...)
	return nil
}

// WithAttrs returns a handler whose lines carry attrs (hclog's With), in
// the open groups; a module attribute outside any group names the logger.
func (h *handler) WithAttrs(attrs []slog.Attr) slog.Handler {
	hl := h.hl
	var args []any
	for _, a := range attrs {
		if h.prefix == "" && a.Key == ModuleKey {
			if v := a.Value.Resolve(); v.Kind() == slog.KindString {
				hl = hl.Named(v.String())
				continue
			}
		}
		args = appendAttr(args, h.prefix, a)
	}
	if len(args) > 0 {
		hl = hl.With(args...)
	}
	return &handler{hl: hl, prefix: h.prefix}
}

// WithGroup returns a handler that puts later attributes in group name
// (their keys prefixed "name."); an empty name changes nothing.
func (h *handler) WithGroup(name string) slog.Handler {
	if name == "" {
		return h
	}
	return &handler{hl: h.hl, prefix: h.prefix + name + "."}
}

// Args returns attrs as hclog key/value arguments, flattened as the
// handler flattens them: for a command that logs through hclog directly
// what a library offers as slog attributes (a LogValuer's fields).
func Args(attrs ...slog.Attr) []any {
	var args []any
	for _, a := range attrs {
		args = appendAttr(args, "", a)
	}
	return args
}

// appendAttr appends a, resolved and flattened under prefix, to args.
func appendAttr(args []any, prefix string, a slog.Attr) []any {
	a.Value = a.Value.Resolve()
	if a.Equal(slog.Attr{}) {
		return args
	}
	if a.Value.Kind() == slog.KindGroup {
		if a.Key != "" {
			prefix += a.Key + "."
		}
		for _, g := range a.Value.Group() {
			args = appendAttr(args, prefix, g)
		}
		return args
	}
	return append(args, prefix+a.Key, value(a.Value))
}

// value returns v as the Go value hclog renders.
func value(v slog.Value) any {
	switch v.Kind() {
	case slog.KindString:
		return v.String()
	case slog.KindInt64:
		return v.Int64()
	case slog.KindUint64:
		return v.Uint64()
	case slog.KindFloat64:
		return v.Float64()
	case slog.KindBool:
		return v.Bool()
	case slog.KindDuration:
		return v.Duration()
	case slog.KindTime:
		return v.Time()
	}
	return v.Any()
}
