package libcluster

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/sha256"
	"crypto/subtle"
	"sync"
)

// Secret-mode sizes: a 16-byte IV, then the PKCS#7-padded plain heartbeat
// in whole AES blocks.
const (
	ivLen     = aes.BlockSize
	minSecret = ivLen + (minPlain/aes.BlockSize+1)*aes.BlockSize
	maxSecret = ivLen + (maxPlain/aes.BlockSize+1)*aes.BlockSize
)

// MaxDatagram is the longest heartbeat of either mode that may decode; a
// receive buffer one byte longer tells a truncated datagram apart.
const MaxDatagram = maxSecret

// Decoder decodes the heartbeats of one mode: plain, or secret mode with one
// secret. It is safe for concurrent use.
type Decoder struct {
	block cipher.Block // nil: plain mode
}

// NewDecoder returns a Decoder of plain heartbeats, those of libcluster
// without a secret.
func NewDecoder() *Decoder { return &Decoder{} }

// NewSecretDecoder returns a Decoder of the heartbeats of libcluster's
// secret mode (Gossip's secret option, libcluster 3.0.2 and later):
// IV ‖ AES-256-CBC(SHA-256(secret), IV, PKCS#7(plain heartbeat)). Such
// heartbeats carry no MAC: a decoded one proves nothing about its sender,
// and an old one can be replayed.
func NewSecretDecoder(secret string) *Decoder {
	key := sha256.Sum256([]byte(secret))
	block, err := aes.NewCipher(key[:])
	if err != nil {
		panic("libcluster: aes.NewCipher with a 32-byte key: " + err.Error()) // unreachable
	}
	return &Decoder{block: block}
}

// Secret reports whether d decodes secret-mode heartbeats.
func (d *Decoder) Secret() bool { return d.block != nil }

// Decode returns the node name a heartbeat datagram carries. It checks the
// whole datagram strictly: in secret mode the size, the PKCS#7 padding and
// the prefix once decrypted; then exactly the term %{node: atom} with
// nothing after it, and an atom that ParseNode accepts. Every error has a
// Reason (ReasonOf). It allocates only the returned name, never on error,
// and never modifies the datagram.
func (d *Decoder) Decode(datagram []byte) (Node, error) {
	if d.block == nil {
		name, err := decodePlain(datagram)
		if err != nil {
			return "", err
		}
		return Node(name), nil
	}
	if err := checkSecretSize(datagram); err != nil {
		return "", err
	}
	buf := bufs.Get().(*[maxSecret - ivLen]byte)
	defer bufs.Put(buf)
	name, err := d.decrypt(datagram, buf)
	if err != nil {
		return "", err
	}
	return Node(name), nil
}

// bufs hold decrypted heartbeats. The AES block is an interface, so a
// buffer on the stack would escape to the heap at every call.
var bufs = sync.Pool{New: func() any { return new([maxSecret - ivLen]byte) }}

// checkSecretSize checks what can be checked of a secret-mode heartbeat
// before decrypting it.
func checkSecretSize(datagram []byte) error {
	switch {
	case bytes.HasPrefix(datagram, []byte(Prefix)):
		return errPlain
	case len(datagram) < minSecret:
		return errShort
	case len(datagram) > maxSecret:
		return errTooLarge
	case len(datagram)%aes.BlockSize != 0:
		return errBlocks
	}
	return nil
}

// decrypt decodes a secret-mode heartbeat that checkSecretSize accepts,
// decrypting it into buf, and returns the node name's bytes (aliasing buf).
func (d *Decoder) decrypt(datagram []byte, buf *[maxSecret - ivLen]byte) ([]byte, error) {
	// CBC by hand: P[i] = D(C[i]) xor C[i-1], with C[-1] the IV. Going
	// through cipher.NewCBCDecrypter would allocate.
	ct := datagram[ivLen:]
	pt := buf[:len(ct)]
	for i := 0; i < len(ct); i += aes.BlockSize {
		d.block.Decrypt(pt[i:i+aes.BlockSize], ct[i:i+aes.BlockSize])
		subtle.XORBytes(pt[i:i+aes.BlockSize], pt[i:i+aes.BlockSize], datagram[i:i+aes.BlockSize])
	}
	plain, ok := unpad(pt)
	if !ok || !bytes.HasPrefix(plain, []byte(Prefix)) {
		return nil, errSecret
	}
	return decodePlain(plain)
}

// unpad strips strict PKCS#7 padding: 1 to 16 bytes, each equal to the
// count.
func unpad(b []byte) ([]byte, bool) {
	if len(b) == 0 {
		return nil, false
	}
	n := int(b[len(b)-1])
	if n < 1 || n > aes.BlockSize || n > len(b) {
		return nil, false
	}
	for _, c := range b[len(b)-n:] {
		if int(c) != n {
			return nil, false
		}
	}
	return b[:len(b)-n], true
}
