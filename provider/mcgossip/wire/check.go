package wire

import (
	"fmt"
	"math"
	"net/netip"
	"time"
	"unicode"
	"unicode/utf8"
)

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
	present := [numTags]bool{
		tagEndpoint4: m.Endpoint4 != netip.AddrPort{},
		tagEndpoint6: m.Endpoint6 != netip.AddrPort{},
		tagAdvertise: m.Advertise.IsValid(),
		tagPort:      m.Port != 0,
		tagName:      m.Name != "",
		tagInterval:  m.Interval != 0,
		tagWindow:    m.Window != 0,
		tagMembers:   m.Members != 0,
		tagSeen:      m.Seen.k != 0 || len(m.Seen.bits) != 0,
	}
	for tag, p := range present {
		if f := &fields[tag]; p && !f.in.has(m.Type) {
			return fmt.Errorf("wire: invalid %s for %s: carried only by %s", f.goName, m.Type, f.in)
		}
	}
	if err := checkFields(m, present); err != nil {
		return err
	}
	switch {
	case m.Type != TypeLeave && !present[tagEndpoint4] && !present[tagEndpoint6]:
		return fmt.Errorf("wire: invalid %s: needs Endpoint4 or Endpoint6 (where the sender receives unicast)", m.Type)
	case (m.Type == TypeAnnounce || m.Type == TypeAnswer) && !present[tagInterval]:
		return fmt.Errorf("wire: invalid %s: needs Interval (the sender's heartbeat interval)", m.Type)
	case m.Type == TypeAnswer && !present[tagMembers]:
		return fmt.Errorf("wire: invalid answer: needs Members (the live members the responder knows, itself included)")
	}
	return nil
}

// checkFields checks the values of the present fields of m.
func checkFields(m *Message, present [numTags]bool) error {
	if ep := m.Endpoint4; present[tagEndpoint4] && (!ep.Addr().Is4() || !unicast(ep.Addr()) || ep.Port() == 0) {
		return fmt.Errorf("wire: invalid Endpoint4 %s: must be an IPv4 address that is not unspecified, multicast or broadcast, with a nonzero port", ep)
	}
	if ep := m.Endpoint6; present[tagEndpoint6] && (!ep.Addr().Is6() || ep.Addr().Zone() != "" || !unicast(ep.Addr()) || ep.Port() == 0) {
		return fmt.Errorf("wire: invalid Endpoint6 %s: must be an IPv6 address without zone that is not unspecified, multicast or IPv4-mapped, with a nonzero port", ep)
	}
	if a := m.Advertise; present[tagAdvertise] && (a.Zone() != "" || !unicast(a)) {
		return fmt.Errorf("wire: invalid Advertise %q: must be an IPv4 or IPv6 address without zone, not unspecified, multicast, broadcast or IPv4-mapped", a)
	}
	if err := CheckName(m.Name); err != nil {
		return err
	}
	if iv := m.Interval.Truncate(time.Millisecond); present[tagInterval] && (iv < MinInterval || iv > MaxInterval) {
		return fmt.Errorf("wire: invalid Interval %s: must be %s to %s (whole milliseconds travel)", m.Interval, MinInterval, MaxInterval)
	}
	if w := m.Window.Truncate(time.Microsecond); present[tagWindow] && (w <= 0 || w > MaxWindow) {
		return fmt.Errorf("wire: invalid Window %s: must be 0 (none) or 1µs to %s (whole microseconds travel)", m.Window, MaxWindow)
	}
	if present[tagSeen] && !m.Seen.valid() {
		return fmt.Errorf("wire: invalid Seen filter of %d bytes and %d hashes: make it with NewSeenFilter", len(m.Seen.bits), m.Seen.k)
	}
	return nil
}
