package libcluster

import "errors"

// Reason says why a heartbeat was rejected; it names a counter. The zero
// Reason is no rejection.
type Reason uint8

// The reasons, in counter order. Every error of Decoder.Decode and of
// Node.DialAddr has one (see ReasonOf).
const (
	// ReasonPrefix: the datagram does not start with "heartbeat::": another
	// protocol on the group (mcgossip, or libcluster in secret mode).
	ReasonPrefix Reason = iota + 1
	// ReasonShort: too short for any heartbeat.
	ReasonShort
	// ReasonTooLarge: longer than any heartbeat with a valid node name.
	ReasonTooLarge
	// ReasonPlain: a plain heartbeat reached a decoder with a secret (a
	// node without the secret shares the group).
	ReasonPlain
	// ReasonBlocks: not an IV and whole AES blocks (not a secret-mode
	// heartbeat).
	ReasonBlocks
	// ReasonSecret: the padding or the prefix is wrong once decrypted: the
	// heartbeat of a node with another secret, or a corrupted one.
	ReasonSecret
	// ReasonTerm: the term is not exactly %{node: atom}.
	ReasonTerm
	// ReasonName: the atom is not a node name this package accepts (see
	// ParseNode).
	ReasonName
	// ReasonSource: the node name's host is an IP address other than the
	// heartbeat's source address.
	ReasonSource
	numReasons
)

// reasonNames are the counter names, by Reason.
var reasonNames = [numReasons]string{
	ReasonPrefix:   "prefix",
	ReasonShort:    "short",
	ReasonTooLarge: "too_large",
	ReasonPlain:    "plain",
	ReasonBlocks:   "blocks",
	ReasonSecret:   "secret",
	ReasonTerm:     "term",
	ReasonName:     "name",
	ReasonSource:   "source",
}

// String returns the reason's counter name, such as "term"; "" for the zero
// Reason.
func (r Reason) String() string {
	if r >= numReasons {
		return "unknown"
	}
	return reasonNames[r]
}

// Reasons returns every Reason, in counter order, so counters can be set up
// front. The slice is fresh.
func Reasons() []Reason {
	out := make([]Reason, 0, numReasons-1)
	for r := ReasonPrefix; r < numReasons; r++ {
		out = append(out, r)
	}
	return out
}

// rejectError is the type of every error Decode and DialAddr return. The
// values are built once, so returning one never allocates.
type rejectError struct {
	reason Reason
	msg    string
}

func (e *rejectError) Error() string { return e.msg }

// Reason returns the reject reason.
func (e *rejectError) Reason() Reason { return e.reason }

func reject(r Reason, msg string) error {
	return &rejectError{reason: r, msg: "libcluster: " + msg}
}

// The rejections, one per Reason.
var (
	errPrefix   = reject(ReasonPrefix, `not a heartbeat: no "heartbeat::" prefix`)
	errShort    = reject(ReasonShort, "heartbeat too short")
	errTooLarge = reject(ReasonTooLarge, "heartbeat too large")
	errPlain    = reject(ReasonPlain, "plain heartbeat, but a secret is set (a node without the secret shares the group)")
	errBlocks   = reject(ReasonBlocks, "not a secret-mode heartbeat: not an IV and whole AES blocks")
	errSecret   = reject(ReasonSecret, "secret-mode heartbeat of another secret (or corrupted): bad padding or prefix once decrypted")
	errTerm     = reject(ReasonTerm, "heartbeat term is not exactly %{node: atom}")
	errName     = reject(ReasonName, "heartbeat node name is not name@host of letters, digits and . _ - (: in hosts), at most 255 bytes")
	errSource   = reject(ReasonSource, "heartbeat node name has an IP address other than the datagram's source")
)

// ReasonOf returns the Reason of an error of Decoder.Decode or
// Node.DialAddr (or of an error that wraps one), and 0 for nil or any other
// error. It does not allocate.
func ReasonOf(err error) Reason {
	if e, ok := err.(*rejectError); ok {
		return e.reason
	}
	var e *rejectError
	if errors.As(err, &e) {
		return e.reason
	}
	return 0
}
