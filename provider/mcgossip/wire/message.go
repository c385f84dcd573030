package wire

import (
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math"
	"net/netip"
	"strconv"
	"time"
	"unicode"
	"unicode/utf8"
)

// Protocol constants.
const (
	// Version is the protocol version this package speaks.
	Version = 1
	// HeaderLen is the length of the clear header: magic (3), version (1),
	// type (1), flags (1), key id (4) and nonce (24). It is the AEAD's
	// associated data.
	HeaderLen = 34
	// Overhead is what sealing adds to a body: the header and the 16-byte tag.
	Overhead = HeaderLen + tagLen
	// MaxDatagram is the largest datagram of any protocol version; anything
	// longer is dropped with ErrTooLarge.
	MaxDatagram = 512
	// MaxNameLen is the longest Message.Name, in bytes.
	MaxNameLen = 64
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

	// body layout
	offInstance = 0
	offTime     = 16
	offCounter  = 24
	offQuery    = 32
	offPort     = 48
	offAddrLen  = 50
	offAddr     = 51

	minBody   = 52 // no address, no name
	maxBody   = minBody + 16 + MaxNameLen
	minSealed = Overhead + minBody
	maxSealed = Overhead + maxBody
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
	// TypeAnswer is unicast back to the source of a query and echoes its id.
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

// Message is the decoded content of a datagram.
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
	// Port is the advertised port; 0 means none.
	Port uint16
	// Addr is the advertised address; the zero (invalid) Addr means none, and
	// the receiver uses the UDP source. It must be IPv4 or IPv6 without a zone,
	// neither unspecified nor IPv4-mapped IPv6.
	Addr netip.Addr
	// Name is the advertised node name: at most MaxNameLen bytes of printable
	// UTF-8 (see CheckName); empty means none.
	Name string
}

// CheckName reports whether name can travel as Message.Name: at most
// MaxNameLen bytes of valid UTF-8 made of printable characters
// (unicode.IsPrint, so the only space allowed is U+0020; U+FFFD is refused).
// Config parsing can use it to reject a bad name early.
func CheckName(name string) error {
	if len(name) > MaxNameLen {
		return fmt.Errorf("wire: invalid name %q: must be at most %d bytes, is %d", name, MaxNameLen, len(name))
	}
	if !printable(name) {
		return fmt.Errorf("wire: invalid name %q: must be printable UTF-8", name)
	}
	return nil
}

// printable reports whether s is valid UTF-8 made only of printable runes
// (unicode.IsPrint). U+FFFD is refused too, so that invalid and replacement
// characters cannot be told apart.
func printable(s string) bool {
	for _, r := range s {
		if r < utf8.RuneSelf {
			if r < 0x20 || r == 0x7f {
				return false
			}
			continue
		}
		if r == utf8.RuneError || !unicode.IsPrint(r) {
			return false
		}
	}
	return true
}

// printableBytes is printable for a byte slice, without converting it.
func printableBytes(b []byte) bool {
	for i := 0; i < len(b); {
		if c := b[i]; c < utf8.RuneSelf {
			if c < 0x20 || c == 0x7f {
				return false
			}
			i++
			continue
		}
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError || !unicode.IsPrint(r) {
			return false
		}
		i += n
	}
	return true
}

// checkMessage validates m for sending; the rules mirror parseBody.
func checkMessage(m *Message) error {
	if !m.Type.Valid() {
		return fmt.Errorf("wire: invalid message type %d: must be 1 (announce), 2 (query), 3 (answer) or 4 (leave)", uint8(m.Type))
	}
	if m.Instance.IsZero() {
		return fmt.Errorf("wire: invalid instance id %s: must not be zero", m.Instance)
	}
	if ms := m.Time.UnixMilli(); ms <= 0 || m.Time.After(maxTime) {
		return fmt.Errorf("wire: invalid time %s: must be after the unix epoch and at most %d ms after it", m.Time, int64(math.MaxInt64))
	}
	if m.Counter == 0 {
		return fmt.Errorf("wire: invalid counter 0: must be at least 1")
	}
	switch m.Type {
	case TypeQuery, TypeAnswer:
		if m.Query.IsZero() {
			return fmt.Errorf("wire: invalid query id %s for %s: must not be zero", m.Query, m.Type)
		}
	default:
		if !m.Query.IsZero() {
			return fmt.Errorf("wire: invalid query id %s for %s: must be zero", m.Query, m.Type)
		}
	}
	if m.Addr.IsValid() {
		if m.Addr.Zone() != "" || m.Addr.IsUnspecified() || m.Addr.Is4In6() {
			return fmt.Errorf("wire: invalid address %q: must be an IPv4 or IPv6 address without zone, not unspecified, not IPv4-mapped", m.Addr)
		}
	}
	return CheckName(m.Name)
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

// appendBody encodes an already checked message.
func appendBody(b []byte, m *Message) []byte {
	b = append(b, m.Instance[:]...)
	b = binary.BigEndian.AppendUint64(b, uint64(m.Time.UnixMilli()))
	b = binary.BigEndian.AppendUint64(b, m.Counter)
	b = append(b, m.Query[:]...)
	b = binary.BigEndian.AppendUint16(b, m.Port)
	switch {
	case !m.Addr.IsValid():
		b = append(b, 0)
	case m.Addr.Is4():
		a := m.Addr.As4()
		b = append(b, 4)
		b = append(b, a[:]...)
	default:
		a := m.Addr.As16()
		b = append(b, 16)
		b = append(b, a[:]...)
	}
	b = append(b, byte(len(m.Name)))
	return append(b, m.Name...)
}

// parseBody decodes body strictly into m, whose Type is already set. On error
// m is left as it was. It allocates only the name, and only when it differs
// from m.Name.
func parseBody(t Type, body []byte, m *Message) error {
	if len(body) < minBody || len(body) > maxBody {
		return errBodyLength
	}
	var instance InstanceID
	copy(instance[:], body[offInstance:offTime])
	if instance.IsZero() {
		return errBodyInstance
	}
	ms := int64(binary.BigEndian.Uint64(body[offTime:]))
	if ms <= 0 {
		return errBodyTime
	}
	counter := binary.BigEndian.Uint64(body[offCounter:])
	if counter == 0 {
		return errBodyCounter
	}
	var query QueryID
	copy(query[:], body[offQuery:offPort])
	if query.IsZero() != (t == TypeAnnounce || t == TypeLeave) {
		return errBodyQuery
	}
	port := binary.BigEndian.Uint16(body[offPort:])

	var addr netip.Addr
	n := int(body[offAddrLen])
	rest := body[offAddr:]
	switch n {
	case 0:
	case 4, 16:
		if len(rest) < n {
			return errBodyLength
		}
		if n == 4 {
			addr = netip.AddrFrom4([4]byte(rest[:4]))
		} else {
			addr = netip.AddrFrom16([16]byte(rest[:16]))
			if addr.Is4In6() {
				return errBodyAddr
			}
		}
		if addr.IsUnspecified() {
			return errBodyAddr
		}
		rest = rest[n:]
	default:
		return errBodyAddrLen
	}

	if len(rest) < 1 {
		return errBodyLength
	}
	k := int(rest[0])
	if k > MaxNameLen {
		return errBodyNameLen
	}
	rest = rest[1:]
	if len(rest) != k {
		return errBodyLength
	}
	if !printableBytes(rest) {
		return errBodyName
	}

	m.Type = t
	m.Instance = instance
	m.Time = time.UnixMilli(ms).UTC()
	m.Counter = counter
	m.Query = query
	m.Port = port
	m.Addr = addr
	if m.Name != string(rest) { // the comparison does not allocate
		m.Name = string(rest)
	}
	return nil
}
