package wire

// Keyring holds the keys of one cluster, in the style of memberlist's
// keyring: AppendSeal seals with the primary key and Open accepts any key of
// the ring whose id matches the datagram's. To rotate a cookie, run with the
// new key as a secondary everywhere, then make it the primary everywhere,
// then drop the old one.
//
// A Keyring is immutable and safe for concurrent use; to change keys, build a
// new one and swap it (for example with an atomic.Pointer). A nil *Keyring
// has no keys.
type Keyring struct {
	primary *Key
	keys    []*Key // primary first, no nil, no duplicate
}

// NewKeyring returns a keyring that seals with primary and opens with primary
// and others. Nil keys, zero Key values (not made by NewKey or DeriveKey) and
// repeated keys are ignored; without a primary the keyring can only open.
func NewKeyring(primary *Key, others ...*Key) *Keyring {
	if !primary.usable() {
		primary = nil
	}
	kr := &Keyring{primary: primary}
	add := func(k *Key) {
		if !k.usable() {
			return
		}
		for _, have := range kr.keys {
			if have == k {
				return
			}
		}
		kr.keys = append(kr.keys, k)
	}
	add(primary)
	for _, k := range others {
		add(k)
	}
	return kr
}

// Primary returns the key AppendSeal uses, or nil.
func (kr *Keyring) Primary() *Key {
	if kr == nil {
		return nil
	}
	return kr.primary
}

// Keys returns every key of the ring, primary first, in a fresh slice.
func (kr *Keyring) Keys() []*Key {
	if kr == nil {
		return nil
	}
	return append([]*Key(nil), kr.keys...)
}

// usable reports whether k was made by NewKey or DeriveKey.
func (k *Key) usable() bool { return k != nil && k.aead != nil }
