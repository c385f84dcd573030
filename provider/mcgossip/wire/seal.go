package wire

import (
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"slices"
	"sync"
)

// AppendSeal appends to dst the datagram carrying m, sealed with the
// keyring's primary key and a 24-byte nonce read from random (crypto/rand
// when random is nil), and returns the extended buffer. On error dst is
// returned unchanged. The datagram is at most MaxDatagram bytes (1163 at
// most with the fields of version 2); it does not allocate when dst has
// room for it.
func AppendSeal(dst []byte, kr *Keyring, m *Message, random io.Reader) ([]byte, error) {
	k := kr.Primary()
	if k == nil {
		return dst, errors.New("wire: cannot seal: the keyring has no primary key")
	}
	if err := checkMessage(m); err != nil {
		return dst, err
	}
	if random == nil {
		random = rand.Reader
	}
	start := len(dst)
	b := append(dst, magic0, magic1, magic2, Version, byte(m.Type), 0)
	b = binary.BigEndian.AppendUint32(b, k.id)
	b = append(b, make([]byte, nonceLen)...) // does not allocate
	if _, err := io.ReadFull(random, b[start+offNonce:start+HeaderLen]); err != nil {
		return dst, fmt.Errorf("wire: cannot read a nonce: %w", err)
	}
	b = appendBody(b, m)
	b = slices.Grow(b, tagLen) // so that Seal works in place, without reallocating
	hdr := b[start : start+HeaderLen]
	body := b[start+HeaderLen:]
	sealed := k.aead.Seal(body[:0], hdr[offNonce:], body, hdr)
	return b[:start+HeaderLen+len(sealed)], nil
}

// openBuf holds a decrypted body; pooled so that Open does not allocate.
var openBuf = sync.Pool{New: func() any { return new([maxBody]byte) }}

// Open checks and decrypts datagram with the keyring and decodes it into m.
// The checks run from cheap to costly (see the package doc); the error is
// one of the Err values or wraps one, and ReasonOf names it. On error m is
// unchanged. Open does not modify datagram and does not keep it. It does
// not allocate on any reject path; on success it allocates at most m.Name,
// when the name changes, and m.Seen's storage, when it must grow (m.Seen
// keeps its storage from one Open to the next).
func Open(kr *Keyring, datagram []byte, m *Message) error {
	n := len(datagram)
	switch {
	case n > MaxDatagram:
		return ErrTooLarge
	case n < 4:
		return ErrShort
	case datagram[0] != magic0 || datagram[1] != magic1 || datagram[2] != magic2:
		return ErrMagic
	case datagram[3] != Version:
		return ErrVersion
	case n < minSealed:
		return ErrShort
	case datagram[offFlags] != 0:
		return ErrVersion
	}
	t := Type(datagram[offType])
	if !t.Valid() {
		return ErrType
	}
	if kr == nil {
		return ErrUnknownKey
	}
	id := binary.BigEndian.Uint32(datagram[offKeyID:])
	hdr := datagram[:HeaderLen]
	ct := datagram[HeaderLen:]
	tried := false
	for _, k := range kr.keys {
		if k.id != id {
			continue
		}
		tried = true
		buf := openBuf.Get().(*[maxBody]byte)
		body, err := k.aead.Open(buf[:0], hdr[offNonce:], ct, hdr)
		if err == nil {
			err = parseBody(t, body, m)
			clear(body)
			openBuf.Put(buf)
			return err
		}
		openBuf.Put(buf)
	}
	if !tried {
		return ErrUnknownKey
	}
	return ErrAuth
}
