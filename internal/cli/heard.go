package cli

import (
	"log/slog"
	"net/netip"

	"github.com/hashicorp/go-hclog"

	"github.com/mcgossip/go-discover-mcgossip/internal/hclogslog"
	"github.com/mcgossip/go-discover-mcgossip/provider/mcgossip"
)

// What the commands say when a lookup ends short: the engine's Heard, as
// one log line (its reasons and counts in the message, for readers of
// plain logs, and as fields for -log-json) and as JSON (addrs -json,
// watch -json).

// logHeard logs msg, then what h says, at WARN when h points to a mistake
// (another cookie, clocks off) and at INFO otherwise, with kv and h's
// counts (Heard.LogValue, the keys of the provider's own line) as fields.
func logHeard(hl hclog.Logger, msg string, h mcgossip.Heard, kv ...any) {
	kv = append(kv, hclogslog.Args(slog.Any("", h))...)
	msg += ": " + h.String()
	if h.Misconfigured() {
		hl.Warn(msg, kv...)
		return
	}
	hl.Info(msg, kv...)
}

// heardJSON is mcgossip.Heard in addrs -json and watch -json.
type heardJSON struct {
	// Datagrams: received from other senders; Accepted: of them, used.
	Datagrams uint64 `json:"datagrams"`
	Accepted  uint64 `json:"accepted"`
	// OtherCookie: sealed with another cookie; OtherCookieFrom: their
	// most recent sources.
	OtherCookie     uint64   `json:"other_cookie"`
	OtherCookieFrom []string `json:"other_cookie_from"`
	// Stale: timestamps more than 30 s off this host's clock.
	Stale     uint64   `json:"stale"`
	StaleFrom []string `json:"stale_from"`
	// Forged: this cookie's key id, but not authentic.
	Forged uint64 `json:"forged"`
	// OtherVersion: another mcgossip protocol version.
	OtherVersion uint64 `json:"other_version"`
	// OtherProtocol: not mcgossip.
	OtherProtocol uint64 `json:"other_protocol"`
	// LeftOut: the peers at this host's addresses the lookup left out
	// (exclude_local), as addrs lists them.
	LeftOut []string `json:"left_out"`
	// Summary is what the log line says.
	Summary string `json:"summary"`
}

func newHeardJSON(h mcgossip.Heard) heardJSON {
	return heardJSON{
		Datagrams: h.Datagrams, Accepted: h.Accepted,
		OtherCookie: h.OtherCookie, OtherCookieFrom: addrStrings(h.OtherCookieFrom),
		Stale: h.Stale, StaleFrom: addrStrings(h.StaleFrom),
		Forged: h.Forged, OtherVersion: h.OtherVersion, OtherProtocol: h.OtherProtocol,
		LeftOut: peerStrings(h.Local), Summary: h.String(),
	}
}

// addrStrings returns the addresses as strings, never nil.
func addrStrings(as []netip.Addr) []string {
	out := make([]string, len(as))
	for i, a := range as {
		out[i] = a.String()
	}
	return out
}

// peerStrings returns the peers as addrs prints them, never nil.
func peerStrings(ps []mcgossip.Peer) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.String()
	}
	return out
}
