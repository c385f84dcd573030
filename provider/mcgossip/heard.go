package mcgossip

import (
	"cmp"
	"fmt"
	"log/slog"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// Heard is what an engine heard from other senders over a span of time
// (one lookup with WithHeard, or its whole run with Engine.Heard) and why
// it made no peer: the answer to "why was nothing found?". Its String
// says it in one line, for the log.
type Heard struct {
	// Datagrams counts the datagrams received from other senders (this
	// engine's own multicasts, looped back, not counted).
	Datagrams uint64
	// Accepted counts those that opened, were fresh and were used.
	Accepted uint64
	// OtherCookie counts the datagrams sealed with a key this engine does
	// not hold: another cluster, or a node with another cookie, on the
	// group. OtherCookieFrom are their UDP sources (which nothing
	// authenticates; unspecified ones left out), the most recent first, at
	// most 8.
	OtherCookie     uint64
	OtherCookieFrom []netip.Addr
	// Stale counts the authentic datagrams whose timestamp was more than
	// 30 s from this host's clock: a clock off, or replays. StaleFrom are
	// their UDP sources, the most recent first, at most 8.
	Stale     uint64
	StaleFrom []netip.Addr
	// Forged counts the datagrams with this cookie's key id that failed
	// authentication (corrupted or forged).
	Forged uint64
	// OtherVersion counts the mcgossip datagrams of another protocol
	// version or with an extension this engine does not know (nodes of
	// an older or newer release).
	OtherVersion uint64
	// OtherProtocol counts the datagrams that are not mcgossip at all
	// (another protocol, such as libcluster, on the group and port).
	OtherProtocol uint64
	// Local are the live peers a lookup left out because their address
	// is one of this host's (Config.ExcludeLocal); always empty in
	// Engine.Heard.
	Local []Peer
	// Silent tells that this engine's own multicast comes back (so the
	// link is up and carries the group to this host) but no peer's
	// multicast ever arrived: if peers run, the network drops group
	// traffic between hosts. Never set with broadcast_only.
	Silent bool
}

// Misconfigured reports whether h holds datagrams that point to a mistake
// rather than to an empty network: another cookie, a clock off, forged or
// corrupted datagrams, another protocol version. A lookup that ends short
// logs h as a warning then.
func (h Heard) Misconfigured() bool {
	return h.OtherCookie > 0 || h.Stale > 0 || h.Forged > 0 || h.OtherVersion > 0
}

// String says what was heard and what it probably means, without the
// cookie or anything secret, for instance:
//
//	heard 14 datagrams from other senders: 12 sealed with another cookie (from 198.18.0.4): ...
//	heard nothing from any other host: if other nodes run, check ...
func (h Heard) String() string {
	var parts []string
	if h.OtherCookie > 0 {
		parts = append(parts, fmt.Sprintf("%d sealed with another cookie%s: a node or cluster with another cookie shares the group; check that every node has this cookie",
			h.OtherCookie, fromList(h.OtherCookieFrom)))
	}
	if h.Stale > 0 {
		parts = append(parts, fmt.Sprintf("%d with a timestamp more than %v from this host's clock%s: a clock is off, or datagrams were replayed; check the clocks (NTP)",
			h.Stale, replayTimeWindow, fromList(h.StaleFrom)))
	}
	if h.Forged > 0 {
		parts = append(parts, fmt.Sprintf("%d with this cookie's key id that failed authentication (corrupted, or forged)", h.Forged))
	}
	if h.OtherVersion > 0 {
		parts = append(parts, fmt.Sprintf("%d of another mcgossip protocol version (nodes of an older or newer release)", h.OtherVersion))
	}
	if h.OtherProtocol > 0 {
		parts = append(parts, fmt.Sprintf("%d of another protocol on this group and port", h.OtherProtocol))
	}
	var b strings.Builder
	switch {
	case h.Datagrams == 0 && len(h.Local) == 0 && h.Silent:
		b.WriteString("heard nothing from any other host, though this engine's own multicast comes back, so the link is up: if other nodes run, the network may drop group traffic between hosts " +
			"(switches with IGMP or MLD snooping but no querier, some home and embedded routers); broadcast_only=true on every node (IPv4) works around it")
	case h.Datagrams == 0 && len(h.Local) == 0:
		b.WriteString("heard nothing from any other host: if other nodes run, check that they use this group and port, and that multicast reaches this host " +
			"(a route for 224.0.0.0/4, the interface's MULTICAST flag, firewalls; cloud VPCs and Docker overlay networks carry no multicast)")
	case h.Datagrams == 0:
	case len(parts) == 0 && len(h.Local) == 0:
		fmt.Fprintf(&b, "heard %s from other senders, %d of this cluster", plural(h.Datagrams, "datagram"), h.Accepted)
	default:
		fmt.Fprintf(&b, "heard %s from other senders", plural(h.Datagrams, "datagram"))
		if len(parts) > 0 {
			b.WriteString(": " + strings.Join(parts, "; "))
		}
	}
	if len(h.Local) > 0 {
		if b.Len() > 0 {
			b.WriteString("; ")
		}
		var addrs []netip.Addr
		for _, p := range h.Local {
			addrs = append(addrs, p.Addr)
		}
		slices.SortFunc(addrs, netip.Addr.Compare)
		fmt.Fprintf(&b, "left out %s at this host's own addresses (%s): exclude_local=false lists them",
			plural(uint64(len(h.Local)), "peer"), addrList(slices.Compact(addrs)))
	}
	return b.String()
}

// LogValue makes h a group of log fields (slog.LogValuer): the counts
// that String tells, with the keys of the CLI's JSON. datagrams always,
// then those that are not zero: other_cookie and other_cookie_from (the
// addresses, space-separated), stale and stale_from, forged,
// other_version, other_protocol, left_out (the peers, as lookups list
// them), and silent when String gives the snooping hint. Logged with an
// empty key (slog.Any("", h)) the fields are inlined.
func (h Heard) LogValue() slog.Value {
	attrs := []slog.Attr{slog.Uint64("datagrams", h.Datagrams)}
	add := func(key string, n uint64, from []netip.Addr) {
		if n == 0 {
			return
		}
		attrs = append(attrs, slog.Uint64(key, n))
		if len(from) > 0 {
			attrs = append(attrs, slog.String(key+"_from", strings.Join(addrStrings(from), " ")))
		}
	}
	add("other_cookie", h.OtherCookie, h.OtherCookieFrom)
	add("stale", h.Stale, h.StaleFrom)
	add("forged", h.Forged, nil)
	add("other_version", h.OtherVersion, nil)
	add("other_protocol", h.OtherProtocol, nil)
	if len(h.Local) > 0 {
		s := make([]string, len(h.Local))
		for i, p := range h.Local {
			s[i] = p.String()
		}
		attrs = append(attrs, slog.String("left_out", strings.Join(s, " ")))
	}
	if h.Silent && h.Datagrams == 0 && len(h.Local) == 0 { // when String tells it
		attrs = append(attrs, slog.Bool("silent", true))
	}
	return slog.GroupValue(attrs...)
}

// fromList returns " (from a, b)", or "" for no address.
func fromList(as []netip.Addr) string {
	if len(as) == 0 {
		return ""
	}
	return " (from " + addrList(as) + ")"
}

// addrList joins addresses with ", ".
func addrList(as []netip.Addr) string { return strings.Join(addrStrings(as), ", ") }

// addrStrings returns the addresses as strings.
func addrStrings(as []netip.Addr) []string {
	s := make([]string, len(as))
	for i, a := range as {
		s[i] = a.String()
	}
	return s
}

// plural returns "1 thing" or "n things".
func plural(n uint64, thing string) string {
	if n == 1 {
		return "1 " + thing
	}
	return strconv.FormatUint(n, 10) + " " + thing + "s"
}

// WithHeard makes Discover fill *h, when it returns, with what the engine
// heard during the lookup and which peers of this host it left out; a
// caller logs it when the lookup ends short.
func WithHeard(h *Heard) DiscoverOption {
	return func(o *discoverOptions) { o.heard = h }
}

// WithExcludeLocal sets whether the lookup leaves out the peers at this
// host's own addresses (default Config.ExcludeLocal).
func WithExcludeLocal(exclude bool) DiscoverOption {
	return func(o *discoverOptions) { o.excludeLocal = exclude }
}

// Heard returns what the engine heard since it started (Local is empty).
func (e *Engine) Heard() Heard { return e.heardSince(heardMark{}, nil) }

// maxSenders is how many recent senders of one kind an engine remembers.
const maxSenders = 8

// senders remembers the most recent sources of the datagrams dropped for
// another cookie and for a stale timestamp, for Heard. The receive path
// notes each such drop with the drop counter's new value, so a span of
// time is a range of those values: no clock is read.
type senders struct {
	mu                 sync.Mutex
	otherCookie, stale [maxSenders]senderNote
}

// senderNote is one sender and the drop count at its latest datagram.
type senderNote struct {
	addr netip.Addr
	seq  uint64
}

// note records a datagram from src dropped for reason r, the seq-th drop
// for that reason; other reasons are not recorded. It does not allocate.
func (s *senders) note(r dropReason, src netip.Addr, seq uint64) {
	var notes *[maxSenders]senderNote
	switch r {
	case dropUnknownKey:
		notes = &s.otherCookie
	case dropStale:
		notes = &s.stale
	default:
		return
	}
	src = src.Unmap()
	if !src.IsValid() || src.IsUnspecified() {
		return // nothing to tell (a datagram looped back on lo has no source)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	oldest := 0
	for i := range notes {
		if notes[i].addr == src {
			notes[i].seq = seq
			return
		}
		if notes[i].seq < notes[oldest].seq {
			oldest = i
		}
	}
	notes[oldest] = senderNote{src, seq}
}

// since returns the senders noted for reason r after drop count seq, the
// most recent first.
func (s *senders) since(r dropReason, seq uint64) []netip.Addr {
	notes := &s.otherCookie
	if r == dropStale {
		notes = &s.stale
	}
	s.mu.Lock()
	got := slices.DeleteFunc(slices.Clone(notes[:]), func(n senderNote) bool { return n.seq <= seq || !n.addr.IsValid() })
	s.mu.Unlock()
	slices.SortFunc(got, func(a, b senderNote) int { return cmp.Compare(b.seq, a.seq) })
	out := make([]netip.Addr, len(got))
	for i, n := range got {
		out[i] = n.addr
	}
	return out
}

// heardMark is the counters Heard is made of, at one moment.
type heardMark struct {
	received, loopback, accepted uint64
	dropped                      [numDrops]uint64
}

// heardMark reads the counters.
func (e *Engine) heardMark() heardMark {
	m := heardMark{received: e.ctr.received.Load(), loopback: e.ctr.loopback.Load(), accepted: e.ctr.accepted.Load()}
	for _, r := range []dropReason{dropUnknownKey, dropStale, dropAuth, dropVersion, dropType, dropMagic} {
		m.dropped[r] = e.ctr.dropped[r].Load()
	}
	return m
}

// heardSince returns what was heard since m, with the peers a lookup l
// left out (nil: none).
func (e *Engine) heardSince(m heardMark, l *lookup) Heard {
	n := e.heardMark()
	d := func(r dropReason) uint64 { return n.dropped[r] - m.dropped[r] }
	h := Heard{
		Datagrams:       (n.received - m.received) - min(n.loopback-m.loopback, n.received-m.received),
		Accepted:        n.accepted - m.accepted,
		OtherCookie:     d(dropUnknownKey),
		OtherCookieFrom: e.heard.since(dropUnknownKey, m.dropped[dropUnknownKey]),
		Stale:           d(dropStale),
		StaleFrom:       e.heard.since(dropStale, m.dropped[dropStale]),
		Forged:          d(dropAuth),
		OtherVersion:    d(dropVersion) + d(dropType),
		OtherProtocol:   d(dropMagic),
		Silent:          !e.cfg.BroadcastOnly && e.mcheck.silent(),
	}
	if l != nil {
		h.Local = l.left()
	}
	return h
}
