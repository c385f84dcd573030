package wire

import (
	"encoding/binary"
	"net/netip"
	"time"
)

// parsed is a checked body not yet stored in a Message: parseBody
// fills it completely before it changes the caller's Message, and name and
// seen still point into the decrypted buffer.
type parsed struct {
	instance             InstanceID
	ms                   int64
	counter              uint64
	query                QueryID
	endpoint4, endpoint6 netip.AddrPort
	advertise            netip.Addr
	port                 uint16
	name                 []byte
	interval, window     time.Duration
	members              uint32
	seenK                byte
	seen                 []byte
}

// parseBody decodes b strictly into m, whose Type becomes t. On error m is
// left as it was. It allocates at most the name, when it differs from
// m.Name, and m.Seen's storage, when it is too small for the filter.
func parseBody(t Type, b []byte, m *Message) error {
	var p parsed
	if err := p.parseCore(t, b); err != nil {
		return err
	}
	if err := p.parseFields(t, b[coreLen:]); err != nil {
		return err
	}
	switch {
	case t != TypeLeave && !p.endpoint4.IsValid() && !p.endpoint6.IsValid():
		return errNeedEndpoint
	case (t == TypeAnnounce || t == TypeAnswer) && p.interval == 0:
		return errNeedInterval
	case t == TypeAnswer && p.members == 0:
		return errNeedMembers
	}
	p.store(t, m)
	return nil
}

// parseCore checks and decodes the fixed 48-byte core.
func (p *parsed) parseCore(t Type, b []byte) error {
	if len(b) < coreLen {
		return errBodyShort
	}
	copy(p.instance[:], b[offInstance:offTime])
	if p.instance.IsZero() {
		return errBodyInstance
	}
	if p.ms = int64(binary.BigEndian.Uint64(b[offTime:])); p.ms <= 0 {
		return errBodyTime
	}
	if p.counter = binary.BigEndian.Uint64(b[offCounter:]); p.counter == 0 {
		return errBodyCounter
	}
	copy(p.query[:], b[offQuery:coreLen])
	if p.query.IsZero() != (t == TypeAnnounce || t == TypeLeave) {
		return errBodyQuery
	}
	return nil
}

// parseFields walks the fields: framing and order first, then an unknown tag
// is skipped (or, if critical, drops the datagram as ErrVersion) and a known
// one is checked for its type, length and value.
func (p *parsed) parseFields(t Type, rest []byte) error {
	last := -1
	for len(rest) > 0 {
		if len(rest) < fieldHeaderLen {
			return errFieldHeader
		}
		tag := rest[0]
		n := int(binary.BigEndian.Uint16(rest[1:]))
		rest = rest[fieldHeaderLen:]
		if int(tag) <= last {
			return errFieldOrder
		}
		last = int(tag)
		if n > len(rest) {
			return errFieldOverrun
		}
		v := rest[:n]
		rest = rest[n:]
		if tag == 0 || tag >= numTags {
			if tag&criticalBit != 0 {
				return errCritical
			}
			continue
		}
		f := &fields[tag]
		if !f.in.has(t) {
			return f.errType[t]
		}
		if err := p.parseField(tag, v, f); err != nil {
			return err
		}
	}
	return nil
}

// parseField checks and decodes the value v of the known field tag.
func (p *parsed) parseField(tag byte, v []byte, f *field) error {
	switch tag {
	case tagEndpoint4, tagEndpoint6:
		size := 6
		if tag == tagEndpoint6 {
			size = 18
		}
		if len(v) != size {
			return f.errLen
		}
		a, _ := netip.AddrFromSlice(v[:size-2])
		ep := netip.AddrPortFrom(a, binary.BigEndian.Uint16(v[size-2:]))
		if !unicast(a) || ep.Port() == 0 {
			return f.errValue
		}
		if tag == tagEndpoint4 {
			p.endpoint4 = ep
		} else {
			p.endpoint6 = ep
		}
	case tagAdvertise:
		if len(v) != 4 && len(v) != 16 {
			return f.errLen
		}
		if p.advertise, _ = netip.AddrFromSlice(v); !unicast(p.advertise) {
			return f.errValue
		}
	case tagPort:
		if len(v) != 2 {
			return f.errLen
		}
		if p.port = binary.BigEndian.Uint16(v); p.port == 0 {
			return f.errValue
		}
	case tagName:
		if len(v) < 1 || len(v) > MaxNameLen {
			return f.errLen
		}
		if p.name = v; !printableBytes(v) {
			return f.errValue
		}
	case tagInterval, tagWindow, tagMembers:
		if len(v) != 4 {
			return f.errLen
		}
		x := binary.BigEndian.Uint32(v)
		if x == 0 || tag == tagInterval && x < uint32(MinInterval/time.Millisecond) {
			return f.errValue
		}
		switch tag {
		case tagInterval:
			p.interval = time.Duration(x) * time.Millisecond
		case tagWindow:
			p.window = time.Duration(x) * time.Microsecond
		default:
			p.members = x
		}
	case tagSeen:
		n := len(v) - 1
		if n < minSeenBits/8 || n > MaxSeenBits/8 || n&(n-1) != 0 {
			return f.errLen
		}
		if p.seenK = v[0]; p.seenK < 1 || p.seenK > MaxSeenHashes {
			return f.errValue
		}
		p.seen = v[1:]
	}
	return nil
}

// store writes the checked body into m.
func (p *parsed) store(t Type, m *Message) {
	m.Type = t
	m.Instance = p.instance
	m.Time = time.UnixMilli(p.ms).UTC()
	m.Counter = p.counter
	m.Query = p.query
	m.Endpoint4 = p.endpoint4
	m.Endpoint6 = p.endpoint6
	m.Advertise = p.advertise
	m.Port = p.port
	if m.Name != string(p.name) { // the comparison does not allocate
		m.Name = string(p.name)
	}
	m.Interval = p.interval
	m.Window = p.window
	m.Members = p.members
	if p.seenK == 0 {
		m.Seen.reset()
	} else {
		m.Seen.decode(p.seenK, p.seen)
	}
}
