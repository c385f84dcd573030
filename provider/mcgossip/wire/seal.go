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
// returned unchanged. The result is at most MaxDatagram bytes.
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
	b := slices.Grow(dst, maxSealed) // so that Seal works in place, without reallocating
	b = append(b, magic0, magic1, magic2, Version, byte(m.Type), 0)
	b = binary.BigEndian.AppendUint32(b, k.id)
	b = b[:start+HeaderLen]
	if _, err := io.ReadFull(random, b[start+offNonce:start+HeaderLen]); err != nil {
		return dst, fmt.Errorf("wire: cannot read a nonce: %w", err)
	}
	b = appendBody(b, m)
	hdr := b[start : start+HeaderLen]
	body := b[start+HeaderLen:]
	sealed := k.aead.Seal(body[:0], hdr[offNonce:], body, hdr)
	return b[:start+HeaderLen+len(sealed)], nil
}

// openBuf holds a decrypted body; pooled so that Open does not allocate.
var openBuf = sync.Pool{New: func() any { return new([maxBody]byte) }}

// Open checks and decrypts datagram with the keyring and decodes it into m.
// The checks run from cheap to costly (see the package doc); the error is
// one of the Err values, or wraps ErrBody, and DropReason names it. On error
// m is unchanged. Open does not modify datagram, does not keep it, and does
// not allocate except for m.Name when it changes.
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
	case n > maxSealed:
		return ErrTooLarge
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
