package wire

import (
	"net/netip"
	"strings"
)

// The field tags of version 2 (see the package doc). A tag with criticalBit
// set must be understood by the receiver; every other unknown tag is skipped.
const (
	tagEndpoint4 = 0x01
	tagEndpoint6 = 0x02
	tagAdvertise = 0x03
	tagPort      = 0x04
	tagName      = 0x05
	tagInterval  = 0x06
	tagWindow    = 0x07
	tagMembers   = 0x08
	tagSeen      = 0x09
	numTags      = 0x0a // the known tags are 1 to numTags-1

	criticalBit    = 0x80
	fieldHeaderLen = 3 // tag (1) and length (2)
)

// typeSet is a set of message types, one bit per Type.
type typeSet uint8

const (
	inAnnounce typeSet = 1 << TypeAnnounce
	inQuery    typeSet = 1 << TypeQuery
	inAnswer   typeSet = 1 << TypeAnswer
)

func (s typeSet) has(t Type) bool { return t.Valid() && s&(1<<t) != 0 }

// String lists the types of s: "announce, query and answer".
func (s typeSet) String() string {
	var names []string
	for t := TypeAnnounce; t <= TypeLeave; t++ {
		if s.has(t) {
			names = append(names, t.String())
		}
	}
	if len(names) < 2 {
		return strings.Join(names, "")
	}
	return strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
}

// field describes a known tag and holds its prebuilt errors, so that a
// rejected field costs no allocation.
type field struct {
	name     string  // wire name, as in the package doc
	goName   string  // the Message field it fills
	in       typeSet // the types that may carry it
	errLen   error   // its length is wrong
	errValue error   // its value is out of range
	errType  [TypeLeave + 1]error
}

// fields holds the known tags, indexed by tag.
var fields = func() (fs [numTags]field) {
	specs := []struct {
		tag          byte
		name, goName string
		in           typeSet
		size, value  string
	}{
		{tagEndpoint4, "endpoint4", "Endpoint4", inAnnounce | inQuery | inAnswer,
			"6 bytes", "address is unspecified, multicast or broadcast, or its port is 0"},
		{tagEndpoint6, "endpoint6", "Endpoint6", inAnnounce | inQuery | inAnswer,
			"18 bytes", "address is unspecified, multicast or IPv4-mapped, or its port is 0"},
		{tagAdvertise, "advertise", "Advertise", inAnnounce | inAnswer,
			"4 or 16 bytes", "address is unspecified, multicast, broadcast or IPv4-mapped"},
		{tagPort, "port", "Port", inAnnounce | inAnswer, "2 bytes", "is 0"},
		{tagName, "name", "Name", inAnnounce | inAnswer, "1 to 64 bytes", "is not printable UTF-8"},
		{tagInterval, "interval", "Interval", inAnnounce | inAnswer, "4 bytes", "is under 100 ms"},
		{tagWindow, "window", "Window", inQuery | inAnswer, "4 bytes", "is 0"},
		{tagMembers, "members", "Members", inAnnounce | inAnswer, "4 bytes", "is 0"},
		{tagSeen, "seen", "Seen", inQuery,
			"1 byte of hash count and 1 to 1024 bytes of filter, a power of two", "hash count is not 1 to 16"},
	}
	for _, s := range specs {
		f := field{name: s.name, goName: s.goName, in: s.in,
			errLen:   bodyError(s.name + " must be " + s.size),
			errValue: bodyError(s.name + " " + s.value),
		}
		for t := TypeAnnounce; t <= TypeLeave; t++ {
			f.errType[t] = bodyError(s.name + " is not allowed in " + t.String() + " (only in " + s.in.String() + ")")
		}
		fs[s.tag] = f
	}
	return fs
}()

// broadcast4 is the IPv4 limited broadcast address.
var broadcast4 = netip.AddrFrom4([4]byte{255, 255, 255, 255})

// unicast reports whether a, known to be IPv4 or IPv6 without a zone, may
// travel as an endpoint or advertised address: not unspecified, not
// multicast, not the IPv4 broadcast address, not IPv4-mapped IPv6.
func unicast(a netip.Addr) bool {
	return !a.IsUnspecified() && !a.IsMulticast() && a != broadcast4 && !a.Is4In6()
}
