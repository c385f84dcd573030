// Package wire is the mcgossip wire protocol, version 2: a pure codec for the
// datagrams that mcgossip engines exchange on a UDP multicast group, the key
// derivation from the shared cookie, a keyring for key rotation, and the
// seen filter that queries carry.
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
//	|  'm'  0x6d    |  'c'  0x63    |  'g'  0x67    |  version = 2  |   0
//	+---------------+---------------+---------------+---------------+
//	|     type      |   flags = 0   |            key id ...         |   4
//	+---------------+---------------+---------------+---------------+
//	|        ... key id             |  nonce (24 random bytes,      |   8
//	+---------------+---------------+                               +
//	|                  bytes 10 to 33) ...                          |  12..28
//	+                               +---------------+---------------+
//	|           ... nonce           |  ciphertext of the body ...   |  32
//	+---------------+---------------+                               +
//	|  ... XChaCha20-Poly1305 ciphertext (48 to 1182 bytes in all)  |  34..
//	+---------------------------------------------------------------+
//	|                   Poly1305 tag (16 bytes)                     |
//	+---------------------------------------------------------------+
//
// The header is bytes 0 to 33 (magic, version, type, flags, key id and nonce,
// HeaderLen bytes). It travels in clear and is the AEAD's associated data, so
// a receiver reads the type and key id before any crypto and nobody can change
// them without the tag failing. Flags are reserved: a version 2 sender writes
// 0 and a version 2 receiver drops anything else (counted as "version": a
// nonzero flag is an extension this version does not understand).
//
// A datagram is at most MaxDatagram (1232) bytes: the IPv6 minimum MTU of
// 1280 less the IPv6 and UDP headers, so that no datagram is ever
// fragmented, on either family. Read into a buffer of at least
// MaxDatagram+1 bytes so that a longer datagram is seen as such and not
// silently truncated. The sizes of version 2 (Overhead, 50 bytes, plus the
// body):
//
//	leave                                                     98
//	query, endpoint4 only                                    107
//	announce, endpoint4 and interval                         114
//	answer, endpoint4, interval and members                  121
//	announce with every field (64-byte name, IPv6 advertise) 233
//	answer with every field (64-byte name, IPv6 advertise)   240
//	query, both endpoints, window, 8192-bit seen filter     1163
//
// The 69 bytes between the largest query and MaxDatagram are room for
// fields of later revisions.
//
// # Body
//
// The plaintext body is a fixed core, then fields:
//
//	offset  size  core
//	     0    16  instance id   random per engine run, never zero
//	    16     8  time          sender's clock, unix milliseconds, > 0
//	    24     8  counter       per-instance strictly increasing, >= 1
//	    32    16  query id      Query: fresh random id; Answer: the query's id;
//	                            Announce and Leave: zero
//	    48   ...  fields        to the very end of the body
//
//	field:  tag (1) | length (2) | value (length bytes)
//
// Tags are strictly ascending (no tag twice, none out of order) and the body
// ends exactly at the end of its last field. The fields of version 2:
//
//	tag   name       value                                announce query answer leave
//	0x01  endpoint4  IPv4 (4) + port (2)                  ep       ep    ep     -
//	0x02  endpoint6  IPv6 (16) + port (2)                 ep       ep    ep     -
//	0x03  advertise  IPv4 (4) or IPv6 (16)                opt      -     opt    -
//	0x04  port       2 bytes, != 0                        opt      -     opt    -
//	0x05  name       1 to 64 bytes, printable UTF-8       opt      -     opt    -
//	0x06  interval   4 bytes, milliseconds, >= 100        req      -     req    -
//	0x07  window     4 bytes, microseconds, >= 1          -        opt   opt    -
//	0x08  members    4 bytes, >= 1                        opt      -     req    -
//	0x09  seen       k (1 byte, 1 to 16) + filter         -        opt   -      -
//	                 (1 to 1024 bytes, a power of two)
//
//	req: required; opt: optional; ep: at least one of endpoint4 and endpoint6
//	is required; -: not allowed (the datagram is dropped)
//
// Endpoint4 and endpoint6 are where the sender receives unicast: answers and
// verification queries. Neither address may be unspecified or multicast, nor
// the port 0; endpoint4 is not 255.255.255.255 and endpoint6 is not
// IPv4-mapped. A link-local endpoint6 is allowed: no zone travels, and the
// receiver scopes it to the interface the datagram arrived on. Advertise is
// the address lookups return in place of the endpoint address, with the same
// rules. Port is the advertised service port; name the node name
// (unicode.IsPrint runes, U+FFFD refused: see CheckName). Interval is the
// sender's heartbeat interval: observers expire it after three intervals
// without news, which is why an answer carries it too (it adds or refreshes
// the responder in the querier's table). Window is, in a query, the answer
// window the querier asks for (absent: the responder decides) and, in an
// answer, the window the responder used. Members is the number of live
// members the sender knows, itself included; an answer must carry it, so a
// querier learns how many members each responder sees (an answer leaves the
// querier out: a lookup compares the count with the answers). A sender that may
// not have heard the whole group yet (one that has just started) says 1, so
// that a querier does not take its count for the group's.
//
// A value that would mean "none" (port 0, an empty name, window or members
// 0) is refused: absence is said by leaving the field out, so each message
// has exactly one encoding. A datagram that opens re-marshals to the same
// bytes, less any unknown fields.
//
// # Seen filter
//
// A query's seen field is a Bloom filter of the instance ids the querier
// already knows; a responder whose own id is in it stays silent, so a
// querier that knows most of a large group is not answered by all of it.
// Bit i of the filter is bit i mod 8 (least significant first) of byte i/8.
// For an instance id x, the query id q and a filter of m bits and k hashes,
// the bits of x are (h1 + j·h2) mod m for j = 0 to k-1, with arithmetic
// modulo 2^64, where
//
//	h1 = fmix64(BE64(x[0:8] xor q[0:8]))
//	h2 = fmix64(BE64(x[8:16] xor q[8:16])) | 1
//	fmix64(z): z ^= z>>33; z *= 0xff51afd7ed558ccd; z ^= z>>33;
//	           z *= 0xc4ceb9fe1a85ec53; z ^= z>>33
//
// fmix64 is MurmurHash3's finalizer. Without it the bits of x would depend
// only on the low bits of x xor q, and two ids equal in those bits would
// collide under every query id; with it, an id falsely in one query's filter
// is falsely in the next one's only by chance. A false positive silences a
// member the querier does not know, so a querier must not conclude from one
// filtered query that a member is gone: a new query (a new id) misses it
// again with the filter's rate only. The double hashing (h1 + j·h2) costs
// more than the classic Bloom filter rate in small filters: SeenRate gives
// the expected rate and SeenSize the smallest filter that meets a target
// (about 850 ids fit the largest filter at 1%).
//
// # Message types
//
// The type is an append-only enum: 1 Announce (multicast heartbeat), 2 Query
// (multicast), 3 Answer (unicast to the query's sealed endpoint), 4 Leave
// (multicast, signed goodbye). An unknown type is dropped (ErrType).
//
// # How the format grows
//
// A later revision adds fields with new tags, and version 2 receivers keep
// working: a tag they do not know is skipped, its value unread. A field that
// must not be ignored (one that changes the meaning of the others) gets a
// tag with the critical bit 0x80 set, and a receiver that does not know a
// critical tag drops the whole datagram as ErrVersion, as it drops a
// datagram of another version. The bit is part of the tag (0x81 is not
// endpoint4), and ascending order puts critical fields after the others. A new message type, a change to the header,
// the core, the key derivation or the rules of a known field needs a new
// version.
//
// The parser is lax in exactly one place: what it does not know. Unknown
// non-critical fields, of any length that fits in MaxDatagram, are the room
// the format needs to grow; tailscale's disco grows by accepting messages
// longer than expected, and a tag-length-value tail does the same while
// letting every new field be optional and placed by its tag. Everything
// that protects a receiver stays strict: the size, magic, version, flags,
// type and key id before any crypto; the framing to the last byte; the tag
// order, so that no field comes twice and no receiver chooses between two
// values; the exact length, value and message type of every known field;
// the required fields. An unknown field never reaches the Message.
//
// # Checks on receive
//
// Open checks, in order, and returns the first failure: at most MaxDatagram
// bytes (ErrTooLarge), at least 4 (ErrShort), magic (ErrMagic), version
// (ErrVersion), at least the 98 bytes of a leave (ErrShort), flags
// (ErrVersion), type (ErrType) and key id (ErrUnknownKey). These cost a few
// nanoseconds and no allocation, so a foreign cluster's datagram or random
// garbage is dropped before any crypto. Then it opens the AEAD with every
// keyring key whose id matches (ErrAuth if none does), and finally parses
// the body: the core, then each field in order (an unknown critical field is
// ErrVersion, anything else wrong ErrBody), then the required fields. Each
// error carries a Reason (ReasonOf) for counters. Open does not allocate on
// any reject path; on success it allocates at most the Name string and the
// Seen filter's storage, when the Message's is too small; Seen is decoded
// into the storage the Message already has, so clone a filter kept past the
// next Open into the same Message.
//
// The key id is public, so a host on the network can copy it into forged
// datagrams and make every receiver try one AEAD open (about 300 ns) per
// datagram before ErrAuth. The codec cannot tell such a source from a
// member, and the engine does not rate-limit sources either (a UDP source
// is forged as cheaply): what bounds a flood is that cost, the engine's
// capped tables and queues, and its receive buffers (README, Floods).
//
// # What the engine must still do
//
// The codec guarantees that a datagram that opens was sealed by a holder of
// the key and is well formed: nothing more. The engine must still:
//
//   - Reject replays: time window, a per-instance counter window kept for
//     every instance (lookers included), and each query id answered once.
//   - Take a peer's identity and every reply address from the sealed body
//     only: Instance, Endpoint4, Endpoint6, Advertise. The UDP source is
//     never a destination. A query is answered at its sealed endpoint of the
//     family it arrived on, a link-local Endpoint6 scoped to the interface
//     it arrived on (Open returns it without a zone).
//   - Seal each multicast with the endpoint of the interface it leaves on,
//     and an answer with the endpoint of the interface the query came in on.
//   - Bound what members may ask of it: clamp Window and Interval to its own
//     limits (they are authentic, but any member may send any value).
//   - Stay silent when m.Seen.Has(m.Query, self), and not treat the silence
//     that follows a filtered query as proof that a member left.
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
// The two HKDF outputs keep the AEAD key and the public key id apart. The
// derivation is unchanged from protocol version 1 (its strings name the
// derivation's own version), so a cookie has the same key id in both
// versions; the version byte keeps their datagrams apart.
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
// cookie (the engine warns about short ones).
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
// protocol, so the engine warns about it once.
//
// Changing any parameter, salt or info string changes every key id and is a
// new protocol version.
package wire
