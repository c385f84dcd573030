package libcluster

import (
	"errors"
	"strconv"
)

// Result is the outcome of a cookie check.
type Result uint8

// The results.
const (
	// Unreachable: the check could not finish (no answer, no such node in
	// epmd, the node busy or refusing our name, the deadline); try later.
	Unreachable Result = iota
	// Match: the node proved the cookie, and accepted our proof of it.
	Match
	// Mismatch: the node does not share the cookie.
	Mismatch
	// ProtocolError: epmd or the node broke the protocol, or the node at
	// that port is not the one the heartbeat named.
	ProtocolError
)

// String returns "unreachable", "match", "mismatch" or "protocol_error".
func (r Result) String() string {
	switch r {
	case Unreachable:
		return "unreachable"
	case Match:
		return "match"
	case Mismatch:
		return "mismatch"
	case ProtocolError:
		return "protocol_error"
	}
	return "Result(" + strconv.Itoa(int(r)) + ")"
}

// Verdict is what Checker.Check found out about a node.
type Verdict struct {
	// Result is the outcome.
	Result Result
	// Err says why, when Result is not Match. It never holds the cookie or
	// a digest.
	Err error
	// Port is the node's distribution port, from epmd; 0 if unknown.
	Port uint16
	// Creation is the node's incarnation, from its challenge; 0 if
	// unknown. A restarted node has another.
	Creation uint32
	// Cached reports a verdict of an earlier handshake with this
	// incarnation of the node, given without a new one.
	Cached bool
}

// failed returns the verdict of a check that ended with err.
func failed(err error, port uint16, creation uint32) Verdict {
	r := Unreachable
	switch {
	case errors.Is(err, ErrCookie):
		r = Mismatch
	case errors.Is(err, ErrProtocol):
		r = ProtocolError
	}
	return Verdict{Result: r, Err: err, Port: port, Creation: creation}
}
