package wire

import (
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"sync"

	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/chacha20poly1305"
)

// Key derivation parameters (see the package doc). Changing any of them is a
// new protocol version.
const (
	kdfSalt    = "go-discover-mcgossip/v1"
	kdfTime    = 3
	kdfMemory  = 8 * 1024 // KiB
	kdfThreads = 1
	infoAEAD   = "mcgossip v1 aead key"
	infoKeyID  = "mcgossip v1 key id"
)

// MasterKeyLen is the length of the master secret DeriveKey stretches a
// cookie into and NewKey takes.
const MasterKeyLen = 32

// Key is one cluster key: an XChaCha20-Poly1305 key and its 4-byte id. It
// is immutable and safe for concurrent use. Its String method shows the id,
// never the key.
type Key struct {
	id   uint32
	aead cipher.AEAD
}

// NewKey returns the key for a 32-byte master secret; DeriveKey(cookie) is
// NewKey of Argon2id(cookie). It is for raw keys and for tests that must not
// pay the KDF.
func NewKey(master [MasterKeyLen]byte) *Key {
	k, err := hkdf.Expand(sha256.New, master[:], infoAEAD, chacha20poly1305.KeySize)
	if err != nil {
		panic("wire: hkdf: " + err.Error()) // unreachable: 32 bytes of SHA-256 output
	}
	id, err := hkdf.Expand(sha256.New, master[:], infoKeyID, keyIDLen)
	if err != nil {
		panic("wire: hkdf: " + err.Error()) // unreachable
	}
	aead, err := chacha20poly1305.NewX(k)
	if err != nil {
		panic("wire: " + err.Error()) // unreachable: the key size is right; FIPS 140-only mode forbids ChaCha20
	}
	clear(k)
	return &Key{id: binary.BigEndian.Uint32(id), aead: aead}
}

// ID returns the key id that travels in the header.
func (k *Key) ID() [4]byte {
	var b [4]byte
	binary.BigEndian.PutUint32(b[:], k.id)
	return b
}

// String returns "key " and the key id in hex.
func (k *Key) String() string {
	if k == nil {
		return "key <nil>"
	}
	id := k.ID()
	return "key " + hex.EncodeToString(id[:])
}

// masterKey stretches a cookie with Argon2id.
func masterKey(cookie string) (m [MasterKeyLen]byte) {
	out := argon2.IDKey([]byte(cookie), []byte(kdfSalt), kdfTime, kdfMemory, kdfThreads, MasterKeyLen)
	copy(m[:], out)
	clear(out)
	return m
}

// The per-process cache of derived keys, indexed by HMAC-SHA256(cacheSecret,
// cookie) so that the cookie itself is not kept.
const maxCachedKeys = 64

type cacheEntry struct {
	once sync.Once
	key  *Key
}

var keyCache struct {
	sync.Mutex
	secret  [32]byte
	entries map[[sha256.Size]byte]*cacheEntry
}

func cacheIndex(cookie string) (idx [sha256.Size]byte) {
	// keyCache is locked.
	if keyCache.entries == nil {
		rand.Read(keyCache.secret[:]) // never fails (crypto/rand)
		keyCache.entries = make(map[[sha256.Size]byte]*cacheEntry)
	}
	h := hmac.New(sha256.New, keyCache.secret[:])
	h.Write([]byte(cookie))
	h.Sum(idx[:0])
	return idx
}

// DeriveKey returns the key for cookie: Argon2id, then HKDF (see the package
// doc). The first call for a cookie takes 10-20 ms; later calls in the same
// process return the cached *Key. Concurrent first calls for one cookie derive
// it once. The empty cookie gives the public open-group key.
func DeriveKey(cookie string) *Key {
	keyCache.Lock()
	idx := cacheIndex(cookie)
	e := keyCache.entries[idx]
	if e == nil {
		if len(keyCache.entries) >= maxCachedKeys {
			for k := range keyCache.entries { // evict one arbitrary entry
				delete(keyCache.entries, k)
				break
			}
		}
		e = new(cacheEntry)
		keyCache.entries[idx] = e
	}
	keyCache.Unlock()
	e.once.Do(func() {
		m := masterKey(cookie)
		e.key = NewKey(m)
		clear(m[:])
	})
	return e.key
}
