package libcluster

import (
	"bytes"
	"encoding/binary"
)

// Prefix starts every plain heartbeat, and every secret-mode heartbeat once
// decrypted.
const Prefix = "heartbeat::"

// External Term Format tags of the one term a heartbeat carries,
// %{node: :"name@host"} (erl_ext_dist).
const (
	etfVersion       = 131 // the version byte that starts a term
	etfMap           = 116 // MAP_EXT: arity (4 bytes), then key, value pairs
	etfAtom          = 100 // ATOM_EXT: length (2), Latin-1; OTP 25 and older
	etfSmallAtom     = 115 // SMALL_ATOM_EXT: length (1), Latin-1
	etfAtomUTF8      = 118 // ATOM_UTF8_EXT: length (2), UTF-8
	etfSmallAtomUTF8 = 119 // SMALL_ATOM_UTF8_EXT: length (1), UTF-8; OTP 26 and later
)

// Heartbeat sizes. The shortest has SMALL_ATOM_UTF8_EXT atoms and a
// three-byte name ("a@b"); the longest ATOM_EXT atoms and a name of
// MaxNodeLen bytes.
const (
	minPlain = len(Prefix) + 1 + 5 + (2 + len("node")) + (2 + 3)
	maxPlain = len(Prefix) + 1 + 5 + (3 + len("node")) + (3 + MaxNodeLen)
)

// decodePlain decodes a plain heartbeat: Prefix, then the term. On success
// it returns the node name's bytes, which alias d.
func decodePlain(d []byte) ([]byte, error) {
	if !bytes.HasPrefix(d, []byte(Prefix)) {
		return nil, errPrefix
	}
	switch {
	case len(d) < minPlain:
		return nil, errShort
	case len(d) > maxPlain:
		return nil, errTooLarge
	}
	return parseTerm(d[len(Prefix):])
}

// parseTerm parses exactly the term %{node: atom} and returns the atom's
// bytes (aliasing t) if it is an accepted node name. Nothing may follow the
// term. Only ASCII names are accepted, so the Latin-1 and UTF-8 atom
// encodings need no conversion.
func parseTerm(t []byte) ([]byte, error) {
	if len(t) < 6 || t[0] != etfVersion || t[1] != etfMap || binary.BigEndian.Uint32(t[2:6]) != 1 {
		return nil, errTerm
	}
	key, rest, ok := parseAtom(t[6:])
	if !ok || string(key) != "node" {
		return nil, errTerm
	}
	name, rest, ok := parseAtom(rest)
	if !ok || len(rest) != 0 {
		return nil, errTerm
	}
	if !validNode(name) {
		return nil, errName
	}
	return name, nil
}

// parseAtom parses an atom in any of its four encodings and returns its
// text and what follows it.
func parseAtom(b []byte) (text, rest []byte, ok bool) {
	if len(b) < 2 {
		return nil, nil, false
	}
	var n, hdr int
	switch b[0] {
	case etfSmallAtom, etfSmallAtomUTF8:
		n, hdr = int(b[1]), 2
	case etfAtom, etfAtomUTF8:
		if len(b) < 3 {
			return nil, nil, false
		}
		n, hdr = int(binary.BigEndian.Uint16(b[1:3])), 3
	default:
		return nil, nil, false
	}
	if len(b)-hdr < n {
		return nil, nil, false
	}
	return b[hdr : hdr+n], b[hdr+n:], true
}
