package wire

import (
	"encoding/binary"
	"encoding/hex"
	"math"
	"net/netip"
	"strconv"
	"time"
)

// Protocol constants.
const (
	// Version is the protocol version this package speaks.
	Version = 2
	// HeaderLen is the length of the clear header: magic (3), version (1),
	// type (1), flags (1), key id (4) and nonce (24). It is the AEAD's
	// associated data.
	HeaderLen = 34
	// Overhead is what sealing adds to a body: the header and the 16-byte tag.
	Overhead = HeaderLen + tagLen
	// MaxDatagram is the largest datagram: the IPv6 minimum MTU (1280) less
	// the IPv6 (40) and UDP (8) headers, so a datagram is never fragmented.
	// Anything longer is dropped with ErrTooLarge; read into a buffer of at
	// least MaxDatagram+1 bytes so that a longer datagram is seen as such.
	MaxDatagram = 1232
	// MaxNameLen is the longest Message.Name, in bytes.
	MaxNameLen = 64
	// MinInterval and MaxInterval bound Message.Interval.
	MinInterval = 100 * time.Millisecond
	MaxInterval = math.MaxUint32 * time.Millisecond
	// MaxWindow bounds Message.Window.
	MaxWindow = math.MaxUint32 * time.Microsecond
)

const (
	magic0, magic1, magic2 = 'm', 'c', 'g'

	keyIDLen = 4
	nonceLen = 24
	tagLen   = 16

	offType  = 4
	offFlags = 5
	offKeyID = 6
	offNonce = 10

	// body core layout
	offInstance = 0
	offTime     = 16
	offCounter  = 24
	offQuery    = 32
	coreLen     = 48

	minSealed = Overhead + coreLen     // a leave
	maxBody   = MaxDatagram - Overhead // core, fields and room for extensions
)

// maxTime is the latest time whose unix milliseconds fit an int64.
var maxTime = time.UnixMilli(math.MaxInt64)

// Type is a message type. The enum is append-only.
type Type uint8

// Message types.
const (
	// TypeAnnounce is a multicast heartbeat.
	TypeAnnounce Type = 1
	// TypeQuery asks every engine on the group to answer.
	TypeQuery Type = 2
	// TypeAnswer is unicast to the query's sealed endpoint and echoes its id.
	TypeAnswer Type = 3
	// TypeLeave is a signed goodbye, multicast on shutdown.
	TypeLeave Type = 4
)

// Valid reports whether t is a type this version knows.
func (t Type) Valid() bool { return t >= TypeAnnounce && t <= TypeLeave }

// String returns "announce", "query", "answer", "leave" or "type(N)".
func (t Type) String() string {
	switch t {
	case TypeAnnounce:
		return "announce"
	case TypeQuery:
		return "query"
	case TypeAnswer:
		return "answer"
	case TypeLeave:
		return "leave"
	}
	return "type(" + strconv.Itoa(int(t)) + ")"
}

// InstanceID identifies one engine run; random, never zero.
type InstanceID [16]byte

// String returns the id in hex.
func (id InstanceID) String() string { return hex.EncodeToString(id[:]) }

// IsZero reports whether id is all zero.
func (id InstanceID) IsZero() bool { return id == InstanceID{} }

// QueryID identifies one query; random, never zero in a Query or Answer.
type QueryID [16]byte

// String returns the id in hex.
func (id QueryID) String() string { return hex.EncodeToString(id[:]) }

// IsZero reports whether id is all zero.
func (id QueryID) IsZero() bool { return id == QueryID{} }

// Message is the decoded content of a datagram. The zero value of each
// optional field means absent; the package doc's field table says which
// types carry which fields, and AppendMarshal refuses a field a type does not
// carry.
type Message struct {
	// Type is the message type; it travels in the header.
	Type Type
	// Instance is the sender's random instance id (never zero).
	Instance InstanceID
	// Time is the sender's clock at sending. Only milliseconds since the unix
	// epoch travel; Open sets it in UTC without a monotonic reading. It must
	// be after the epoch (and its milliseconds must fit an int64).
	Time time.Time
	// Counter is the sender's per-instance sequence number, from 1.
	Counter uint64
	// Query is the query id: fresh in a Query, echoed in an Answer, zero in
	// Announce and Leave.
	Query QueryID

	// Endpoint4 and Endpoint6 are where the sender receives unicast
	// (answers, verification queries): an IPv4 and an IPv6 address with a
	// nonzero port. Announce, Query and Answer carry at least one. Neither
	// is unspecified or multicast; Endpoint4 is not 255.255.255.255;
	// Endpoint6 is not IPv4-mapped and has no zone (none travels: a receiver
	// scopes a link-local Endpoint6 to the interface it arrived on).
	Endpoint4, Endpoint6 netip.AddrPort
	// Advertise is the address lookups return for the sender in place of its
	// endpoint address (Announce, Answer): IPv4 or IPv6 without a zone, not
	// unspecified, multicast, broadcast or IPv4-mapped.
	Advertise netip.Addr
	// Port is the advertised service port (Announce, Answer); 0 means none.
	Port uint16
	// Name is the advertised node name (Announce, Answer): at most MaxNameLen
	// bytes of printable UTF-8 (see CheckName); empty means none.
	Name string
	// Interval is the sender's heartbeat interval, required in Announce and
	// Answer: observers expire the sender after three intervals without news.
	// It is MinInterval to MaxInterval; only whole milliseconds travel
	// (AppendMarshal truncates).
	Interval time.Duration
	// Window is, in a Query, the answer window the querier asks for (zero:
	// the responder decides) and, in an Answer, the window the responder
	// used. At most MaxWindow; only whole microseconds travel (AppendMarshal
	// truncates, and refuses a nonzero window that truncates to zero).
	Window time.Duration
	// Members is the number of live members the sender knows, itself
	// included: required in Answer, optional in Announce; 0 means none.
	Members uint32
	// Seen is the Bloom filter of the instances a Query's sender already
	// knows (Query only); a responder it holds stays silent. The zero
	// SeenFilter means none. Open decodes into the storage Seen already has
	// and reuses it, so a filter kept past the next Open into the same
	// Message must be cloned (SeenFilter.Clone).
	Seen SeenFilter
}

// AppendMarshal appends the plaintext body of m to dst (see the package doc
// for the layout) and returns the extended buffer. It returns an error and
// dst unchanged if m would not pass Open's checks. The type travels in the
// header, not in the body, but it is checked here too.
func AppendMarshal(dst []byte, m *Message) ([]byte, error) {
	if err := checkMessage(m); err != nil {
		return dst, err
	}
	return appendBody(dst, m), nil
}

// appendBody encodes an already checked message: the core, then each
// present field in ascending tag order.
func appendBody(b []byte, m *Message) []byte {
	b = append(b, m.Instance[:]...)
	b = binary.BigEndian.AppendUint64(b, uint64(m.Time.UnixMilli()))
	b = binary.BigEndian.AppendUint64(b, m.Counter)
	b = append(b, m.Query[:]...)
	if m.Endpoint4.IsValid() {
		a := m.Endpoint4.Addr().As4()
		b = appendFieldHeader(b, tagEndpoint4, 6)
		b = binary.BigEndian.AppendUint16(append(b, a[:]...), m.Endpoint4.Port())
	}
	if m.Endpoint6.IsValid() {
		a := m.Endpoint6.Addr().As16()
		b = appendFieldHeader(b, tagEndpoint6, 18)
		b = binary.BigEndian.AppendUint16(append(b, a[:]...), m.Endpoint6.Port())
	}
	if m.Advertise.Is4() {
		a := m.Advertise.As4()
		b = append(appendFieldHeader(b, tagAdvertise, 4), a[:]...)
	} else if m.Advertise.Is6() {
		a := m.Advertise.As16()
		b = append(appendFieldHeader(b, tagAdvertise, 16), a[:]...)
	}
	if m.Port != 0 {
		b = binary.BigEndian.AppendUint16(appendFieldHeader(b, tagPort, 2), m.Port)
	}
	if m.Name != "" {
		b = append(appendFieldHeader(b, tagName, len(m.Name)), m.Name...)
	}
	if m.Interval != 0 {
		b = binary.BigEndian.AppendUint32(appendFieldHeader(b, tagInterval, 4), uint32(m.Interval/time.Millisecond))
	}
	if m.Window != 0 {
		b = binary.BigEndian.AppendUint32(appendFieldHeader(b, tagWindow, 4), uint32(m.Window/time.Microsecond))
	}
	if m.Members != 0 {
		b = binary.BigEndian.AppendUint32(appendFieldHeader(b, tagMembers, 4), m.Members)
	}
	if m.Seen.k != 0 {
		b = append(appendFieldHeader(b, tagSeen, 1+len(m.Seen.bits)), m.Seen.k)
		b = append(b, m.Seen.bits...)
	}
	return b
}

func appendFieldHeader(b []byte, tag byte, n int) []byte {
	return binary.BigEndian.AppendUint16(append(b, tag), uint16(n))
}
