package wire

import (
	"errors"
	"strconv"
)

// Reason says why Open dropped a datagram. The zero Reason means none (a nil
// error, or an error that did not come from Open). The values are stable, so
// an engine can index its drop counters by them; the list may grow.
type Reason uint8

// Drop reasons, in the order of Open's checks.
const (
	// ReasonShort: shorter than any datagram of this version (ErrShort).
	ReasonShort Reason = iota + 1
	// ReasonMagic: not an mcgossip datagram (ErrMagic).
	ReasonMagic
	// ReasonVersion: another protocol version, nonzero flags, or a critical
	// field this version does not know (ErrVersion).
	ReasonVersion
	// ReasonType: unknown message type (ErrType).
	ReasonType
	// ReasonTooLarge: longer than MaxDatagram (ErrTooLarge).
	ReasonTooLarge
	// ReasonUnknownKey: no keyring key has the datagram's key id
	// (ErrUnknownKey).
	ReasonUnknownKey
	// ReasonAuth: the AEAD did not open with any candidate key (ErrAuth).
	ReasonAuth
	// ReasonBody: the authentic body breaks the schema (ErrBody).
	ReasonBody

	numReasons // one past the last reason
)

// reasonNames are the names of the reasons, for counters and logs.
var reasonNames = [numReasons]string{
	0:                "none",
	ReasonShort:      "short",
	ReasonMagic:      "magic",
	ReasonVersion:    "version",
	ReasonType:       "type",
	ReasonTooLarge:   "too_large",
	ReasonUnknownKey: "unknown_key",
	ReasonAuth:       "auth",
	ReasonBody:       "body",
}

// String returns the reason's short stable name ("short", "magic",
// "version", "type", "too_large", "unknown_key", "auth", "body"), "none" for
// the zero Reason and "reason(N)" for a value this package does not define.
func (r Reason) String() string {
	if r < numReasons {
		return reasonNames[r]
	}
	return "reason(" + strconv.Itoa(int(r)) + ")"
}

// Reasons returns every reason Open can return, in order, so that counters
// can be set up front. The slice is fresh.
func Reasons() []Reason {
	rs := make([]Reason, 0, numReasons-1)
	for r := ReasonShort; r < numReasons; r++ {
		rs = append(rs, r)
	}
	return rs
}

// ReasonOf returns the Reason of an error returned by Open, also when it is
// wrapped, and 0 for nil or any other error. It does not allocate for the
// errors Open returns.
func ReasonOf(err error) Reason {
	if err == nil {
		return 0
	}
	if e, ok := err.(*dropError); ok {
		return e.reason
	}
	var e *dropError
	if errors.As(err, &e) {
		return e.reason
	}
	return 0
}

// dropError is the type of every error Open returns. The values are built once
// at package init, so returning one never allocates.
type dropError struct {
	reason Reason
	msg    string
	parent error // the exported sentinel a detailed error wraps, or nil
}

func (e *dropError) Error() string { return e.msg }
func (e *dropError) Unwrap() error { return e.parent }

// Reason returns the error's drop reason; see ReasonOf.
func (e *dropError) Reason() Reason { return e.reason }

// The sentinel errors of Open, one per Reason. Each is errors.Is-able; Open
// may return a more detailed error that wraps one of them (ErrBody in
// particular, and ErrVersion for an unknown critical field).
var (
	// ErrShort: the datagram is shorter than any version 2 datagram.
	ErrShort error = &dropError{reason: ReasonShort, msg: "wire: datagram too short"}
	// ErrMagic: the datagram does not start with "mcg" (another protocol).
	ErrMagic error = &dropError{reason: ReasonMagic, msg: "wire: bad magic: not an mcgossip datagram"}
	// ErrVersion: another protocol version, nonzero reserved flags, or an
	// unknown critical field.
	ErrVersion error = &dropError{reason: ReasonVersion, msg: "wire: unsupported protocol version, flags or critical field"}
	// ErrType: unknown message type.
	ErrType error = &dropError{reason: ReasonType, msg: "wire: unknown message type"}
	// ErrTooLarge: longer than MaxDatagram.
	ErrTooLarge error = &dropError{reason: ReasonTooLarge, msg: "wire: datagram too large"}
	// ErrUnknownKey: no keyring key has the datagram's key id (another cluster).
	ErrUnknownKey error = &dropError{reason: ReasonUnknownKey, msg: "wire: unknown key id"}
	// ErrAuth: the AEAD did not open with any candidate key (forged, corrupted).
	ErrAuth error = &dropError{reason: ReasonAuth, msg: "wire: message authentication failed"}
	// ErrBody: the authentic body breaks the schema.
	ErrBody error = &dropError{reason: ReasonBody, msg: "wire: malformed body"}
)

// bodyError returns a detailed error that wraps ErrBody.
func bodyError(detail string) *dropError {
	return &dropError{reason: ReasonBody, msg: "wire: malformed body: " + detail, parent: ErrBody}
}

// errCritical is the detailed ErrVersion for an unknown critical field.
var errCritical error = &dropError{reason: ReasonVersion,
	msg: "wire: unknown critical field: an extension this version does not understand", parent: ErrVersion}

// Detailed body errors of the core, the field framing and the required
// fields; all wrap ErrBody. The errors of each known field are in fields.go.
var (
	errBodyShort    error = bodyError("shorter than the 48-byte core")
	errBodyInstance error = bodyError("instance id is zero")
	errBodyTime     error = bodyError("time is not after the unix epoch")
	errBodyCounter  error = bodyError("counter is zero")
	errBodyQuery    error = bodyError("query id must be zero in announce and leave, nonzero in query and answer")
	errFieldHeader  error = bodyError("trailing bytes: a field header needs 3 bytes")
	errFieldOverrun error = bodyError("a field is longer than the rest of the body")
	errFieldOrder   error = bodyError("field tags are not strictly ascending")
	errNeedEndpoint error = bodyError("no endpoint4 or endpoint6 (announce, query and answer need one)")
	errNeedInterval error = bodyError("no interval (announce and answer need one)")
	errNeedMembers  error = bodyError("no members (answer needs one)")
)
