package plugin

import (
	"context"
	"errors"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// Error is an error of a plugin call as the host sees it. For an error the
// provider returned, Error() is the provider's message unchanged (e.g.
// `discover-mcgossip: invalid port "70000": ...`), so it reads as it would
// in process; errors of the plugin machinery (start, crash, deadline)
// start with "plugin <binary>: ".
//
// Code is the gRPC status code the error crossed the process boundary with
// (InvalidArgument for a configuration error, see Serve), or the host's
// classification of a machinery error (Unavailable for a crash,
// DeadlineExceeded for a call that ran out of time, FailedPrecondition for
// a checksum mismatch or an incompatible plugin). status.Code(err) returns
// it too.
type Error struct {
	// Code classifies the error.
	Code codes.Code
	// Msg is the error text.
	Msg string
	// Err is the cause, for errors.Is and errors.As: nil for an error of
	// the provider, but ErrInvalidParameter for one that crossed as
	// InvalidArgument.
	Err error
}

// Error returns Msg.
func (e *Error) Error() string { return e.Msg }

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// GRPCStatus returns the error as a gRPC status, so that status.Code and
// status.FromError see Code and Msg.
func (e *Error) GRPCStatus() *status.Status { return status.New(e.Code, e.Msg) }

// ErrInvalidParameter is the cause of a provider's error that crossed as
// InvalidArgument (a configuration error). It has the errdefs marker method
// InvalidParameter, as the provider's own error had in process, so a host
// that checks for the marker with errors.As sees it through the plugin too.
var ErrInvalidParameter error = invalidParameterError{}

type invalidParameterError struct{}

func (invalidParameterError) Error() string { return "invalid parameter" }

// InvalidParameter marks the error as the caller's mistake (errdefs).
func (invalidParameterError) InvalidParameter() {}

// Sentinel causes of machinery errors, for errors.Is.
var (
	// ErrExited: the plugin process exited (crashed) during the call.
	ErrExited = errors.New("plugin process exited")
	// ErrClosed: the RemoteProvider was closed.
	ErrClosed = errors.New("plugin provider closed")
)

// The error conventions a provider's error can follow to cross with a
// precise status code; they are the marker methods of Docker's and
// containerd's errdefs, so providers need not import gRPC. Any error in the
// chain (errors.As) may have the method.
type (
	invalidParameter interface{ InvalidParameter() }
	notFound         interface{ NotFound() }
	grpcStatuser     interface{ GRPCStatus() *status.Status }
)

// codeOf maps a provider error to a gRPC status code: a GRPCStatus method
// anywhere in the chain wins, then context errors, then the errdefs marker
// methods, then errors.ErrUnsupported; anything else is Unknown.
func codeOf(err error) codes.Code {
	var gs grpcStatuser
	var ip invalidParameter
	var nf notFound
	switch {
	case errors.As(err, &gs):
		return gs.GRPCStatus().Code()
	case errors.Is(err, context.DeadlineExceeded):
		return codes.DeadlineExceeded
	case errors.Is(err, context.Canceled):
		return codes.Canceled
	case errors.As(err, &ip):
		return codes.InvalidArgument
	case errors.As(err, &nf):
		return codes.NotFound
	case errors.Is(err, errors.ErrUnsupported):
		return codes.Unimplemented
	}
	return codes.Unknown
}
