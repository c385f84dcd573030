package wire

// dropError is the type of every error Open returns. The values are built once
// at package init, so returning one never allocates.
type dropError struct {
	reason string // stable counter name, see DropReason
	msg    string
	parent error // the exported sentinel a detailed error wraps, or nil
}

func (e *dropError) Error() string { return e.msg }
func (e *dropError) Unwrap() error { return e.parent }

// Drop reasons returned by Open. Each is errors.Is-able; Open may return a
// more detailed error that wraps one of them (ErrBody in particular).
var (
	// ErrShort: the datagram is shorter than any version 1 datagram.
	ErrShort error = &dropError{reason: "short", msg: "wire: datagram too short"}
	// ErrMagic: the datagram does not start with "mcg" (another protocol).
	ErrMagic error = &dropError{reason: "magic", msg: "wire: bad magic: not an mcgossip datagram"}
	// ErrVersion: unsupported protocol version, or nonzero reserved flags.
	ErrVersion error = &dropError{reason: "version", msg: "wire: unsupported protocol version or flags"}
	// ErrType: unknown message type.
	ErrType error = &dropError{reason: "type", msg: "wire: unknown message type"}
	// ErrTooLarge: longer than MaxDatagram, or than any version 1 datagram.
	ErrTooLarge error = &dropError{reason: "too_large", msg: "wire: datagram too large"}
	// ErrUnknownKey: no keyring key has the datagram's key id (another cluster).
	ErrUnknownKey error = &dropError{reason: "unknown_key", msg: "wire: unknown key id"}
	// ErrAuth: the AEAD did not open with any candidate key (forged, corrupted).
	ErrAuth error = &dropError{reason: "auth", msg: "wire: message authentication failed"}
	// ErrBody: the authentic body breaks the schema.
	ErrBody error = &dropError{reason: "body", msg: "wire: malformed body"}
)

func bodyError(detail string) error {
	return &dropError{reason: "body", msg: "wire: malformed body: " + detail, parent: ErrBody}
}

// Detailed body errors; all wrap ErrBody.
var (
	errBodyLength   = bodyError("length does not match its fields")
	errBodyInstance = bodyError("instance id is zero")
	errBodyTime     = bodyError("time is not after the unix epoch")
	errBodyCounter  = bodyError("counter is zero")
	errBodyQuery    = bodyError("query id must be zero in announce and leave, nonzero in query and answer")
	errBodyAddrLen  = bodyError("address length is not 0, 4 or 16")
	errBodyAddr     = bodyError("address is unspecified or IPv4-mapped")
	errBodyNameLen  = bodyError("name is longer than 64 bytes")
	errBodyName     = bodyError("name is not printable UTF-8")
)

var dropReasons = []string{"short", "magic", "version", "type", "too_large", "unknown_key", "auth", "body"}

// DropReasons returns every reason DropReason can return for an Open error,
// in a stable order, so counters can be set up front. The slice is fresh.
func DropReasons() []string {
	return append([]string(nil), dropReasons...)
}

// DropReason returns a short stable name for an error returned by Open, for
// counters and rate-limited logs: "short", "magic", "version", "type",
// "too_large", "unknown_key", "auth" or "body". It returns "" for nil and
// "other" for an error that is not a drop reason. It does not allocate.
func DropReason(err error) string {
	if err == nil {
		return ""
	}
	// A loop rather than errors.As, which allocates (and errors.AsType
	// needs Go 1.26; the module supports Go 1.25).
	for err != nil {
		if e, ok := err.(*dropError); ok {
			return e.reason
		}
		u, ok := err.(interface{ Unwrap() error })
		if !ok {
			break
		}
		err = u.Unwrap()
	}
	return "other"
}
