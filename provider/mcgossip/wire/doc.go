// Package wire is the mcgossip wire protocol, version 1: a pure codec for the
// datagrams that mcgossip engines exchange on a UDP multicast group, the key
// derivation from the shared cookie, and a keyring for key rotation.
//
// The package opens no sockets and keeps no state besides a per-process cache
// of derived keys. Its functions follow the style of tailscale's disco
// package: AppendMarshal and AppendSeal append to a caller's buffer, and Open
// decodes into a caller-owned *Message.
//
// # Datagram
//
// All integers are big-endian.
//
//	 0               1               2               3
//	 0 1 2 3 4 5 6 7 0 1 2 3 4 5 6 7 0 1 2 3 4 5 6 7 0 1 2 3 4 5 6 7
//	+---------------+---------------+---------------+---------------+
//	|  'm'  0x6d    |  'c'  0x63    |  'g'  0x67    |  version = 1  |   0
//	+---------------+---------------+---------------+---------------+
//	|     type      |   flags = 0   |            key id ...         |   4
//	+---------------+---------------+---------------+---------------+
//	|        ... key id             |  nonce (24 random bytes,      |   8
//	+---------------+---------------+                               +
//	|                  bytes 10 to 33) ...                          |  12..28
//	+                               +---------------+---------------+
//	|           ... nonce           |  ciphertext of the body ...   |  32
//	+---------------+---------------+                               +
//	|   ... XChaCha20-Poly1305 ciphertext (52 to 132 bytes in all)  |  34..
//	+---------------------------------------------------------------+
//	|                   Poly1305 tag (16 bytes)                     |
//	+---------------------------------------------------------------+
//
// The header is bytes 0 to 33 (magic, version, type, flags, key id and nonce,
// HeaderLen bytes). It travels in clear and is the AEAD's associated data, so
// a receiver reads the type and key id before any crypto and nobody can change
// them without the tag failing. Flags are reserved: a version 1 sender writes
// 0 and a version 1 receiver drops anything else (counted as "version": a
// nonzero flag is an extension this version does not understand).
//
// A sealed version 1 datagram is 102 to 182 bytes long (Overhead plus the
// body). MaxDatagram (512) is the protocol's upper bound for every version;
// read into a buffer of at least MaxDatagram+1 bytes so that an oversized
// datagram is seen as such and not silently truncated.
//
// # Body
//
// The plaintext body has a fixed schema with strict lengths; there is no
// generic deserializer.
//
//	offset  size  field
//	     0    16  instance id   random per engine run, never zero
//	    16     8  time          sender's clock, unix milliseconds, > 0
//	    24     8  counter       per-instance strictly increasing, >= 1
//	    32    16  query id      Query: fresh random id; Answer: the query's id;
//	                            Announce and Leave: zero
//	    48     2  port          advertised port, 0 = none
//	    50     1  addr len      0 (none: use the UDP source), 4 or 16
//	    51     n  addr          IPv4 (4) or IPv6 (16); not unspecified, not IPv4-mapped
//	  51+n     1  name len      0 to 64
//	  52+n     k  name          UTF-8, printable (unicode.IsPrint), optional
//
// The body must end exactly after the name: no trailing bytes. Each address
// and name has one encoding, so a datagram that opens re-marshals to the same
// bytes.
//
// # Message types
//
// The type is an append-only enum: 1 Announce (multicast heartbeat), 2 Query
// (multicast), 3 Answer (unicast to the query's source), 4 Leave (multicast,
// signed goodbye). An unknown type or version is dropped.
//
// # Checks on receive
//
// Open checks, in order, and returns the first failure: at most MaxDatagram
// bytes (ErrTooLarge), at least 4 (ErrShort), magic (ErrMagic), version
// (ErrVersion), the length of a version 1 datagram (ErrShort, ErrTooLarge),
// flags (ErrVersion), type (ErrType) and key id (ErrUnknownKey). These cost a
// few nanoseconds and no allocation, so a foreign cluster's datagram or
// random garbage is dropped before any crypto. Then it opens the AEAD with
// every keyring key whose id matches (ErrAuth if none does), and finally
// parses the body strictly (ErrBody). DropReason maps each of these errors to
// a short stable string for counters. Open does not allocate on any reject
// path; on success it allocates at most the Name string.
//
// The key id is public, so a host on the network can copy it into forged
// datagrams and make every receiver try one AEAD open (about 300 ns) per
// datagram before ErrAuth; rate limiting such sources is the engine's job.
//
// Replay protection (time window, counter window, query ids) is the engine's
// job: the codec only guarantees that time, counter and query id are
// authentic and well formed.
//
// # Keys
//
// The cookie never goes on the wire, neither in clear nor hashed. It is
// stretched once into a 32-byte master secret:
//
//	master   = Argon2id(password = cookie, salt = "go-discover-mcgossip/v1",
//	                    time = 3, memory = 8 MiB, threads = 1, length = 32)
//	aead key = HKDF-Expand-SHA256(master, info = "mcgossip v1 aead key", 32)
//	key id   = HKDF-Expand-SHA256(master, info = "mcgossip v1 key id", 4)
//
// The two HKDF outputs keep the AEAD key and the public key id apart.
//
// The Argon2id parameters were measured on the 2-core development machine
// (AMD EPYC, Go 1.26, x/crypto's SSE4.1 Argon2, BenchmarkDeriveKey -cpu 1):
// 12-15 ms per derivation in steady state, and 15-23 ms for the first
// derivation of a fresh process (which also faults in the 8 MiB), measured
// while other builds kept the machine at load 7 to 11. That is the low end of
// the 10-30 ms goal and leaves most of the 100 ms cold-path budget of Addrs to
// the network. Alternatives measured the same way: 16 MiB with 2 passes took
// 15 ms idle but 30 ms cold and loaded; OWASP's 19 MiB with 2 passes took
// 20-22 ms idle. The function stays memory-hard: every guess must fill 8 MiB
// and walk it three times (the memory-time product of 12 MiB with 2 passes;
// the extra pass blunts time-memory trade-offs). One thread keeps the cost
// predictable inside a busy host process. The salt is fixed by the protocol
// (all peers must derive the same key from the cookie alone), so it separates
// this protocol from every other use of the cookie but does not stop a
// precomputed dictionary against weak cookies; use a long random
// cookie (CookieWarning flags short ones).
//
// The key id lets a receiver drop another cluster's datagram with a 4-byte
// compare before any crypto. It is derived from the stretched key, so it is
// not a hash of the cookie and lets nobody test a cookie guess faster than a
// whole Argon2id run. Ids are only 32 bits: two keys may share one, and a
// keyring then tries each candidate.
//
// DeriveKey caches keys per process, indexed by an HMAC of the cookie under a
// random per-process secret (the cookie itself is not kept). An empty cookie
// yields the open-group key: it is public and authenticates nothing but the
// protocol, so the engine should log CookieWarning once.
//
// Changing any parameter, salt or info string changes every key id and is a
// new protocol version.
package wire
