// The plugin protocol: the handshake, the versions, and the markers host
// and plugin exchange.

package plugin

import (
	"os"

	goplugin "github.com/hashicorp/go-plugin"
)

// ProtocolVersion is the newest version of the plugin protocol this package
// speaks (go-plugin's VersionedPlugins key). Version 1 is the ProviderService
// of proto/discover/v1. A host and a plugin must share a version; an
// incompatible change adds a version, and both sides keep serving the older
// ones for as long as they can.
const ProtocolVersion = 1

// pluginName is the name of the one go-plugin plugin a binary serves; it
// carries every provider of the binary.
const pluginName = "discover"

// The markers host and plugin exchange beside the ProviderService's
// messages.
const (
	// logIDKey is the hclog key that tags a provider's log lines with the
	// log_id of the host's call, so the host routes them to that call's
	// logger.
	logIDKey = "discover_plugin_call"
	// callEndMsg is the message of the line a plugin logs, tagged with the
	// call's log id, after the provider's Addrs returned and before the
	// answer: the host waits for it, so that the provider's lines reach the
	// caller's logger before Addrs returns, as they do in process.
	callEndMsg = "discover-plugin: end of call"
	// answerKey is a gRPC trailer the plugin sets on an error it (or its
	// provider) returned, so the host can tell a provider's answer from a
	// transport failure with the same status code.
	answerKey = "x-discover-plugin-answer"
	// loggedKey is a gRPC trailer the plugin sets when it logged the
	// end-of-call line of an Addrs call (see callEndMsg), which the host
	// then waits for.
	loggedKey = "x-discover-plugin-logged"
)

// Handshake is the go-plugin handshake of go-discover provider plugins. The
// host sets the magic cookie in the plugin's environment; a binary seeing it
// knows a host launched it (see Launched). The cookie is a UX check, not a
// security measure: it keeps a person who runs the binary by hand from
// staring at a handshake line, and keeps a host from talking to a binary
// that is not a plugin. It never changes; protocol changes are negotiated
// with the versions of VersionedPlugins.
var Handshake = goplugin.HandshakeConfig{
	MagicCookieKey:   "GO_DISCOVER_PLUGIN_MAGIC_COOKIE",
	MagicCookieValue: "81f01dd43d10104b22ddd17088f9bf3dd50d7e069d41c0425f6bff4366311322",
}

// Launched reports whether a go-discover plugin host launched this process,
// by the handshake's magic cookie in the environment. A binary that is both
// a plugin and a command line tool serves when it returns true.
func Launched() bool {
	return os.Getenv(Handshake.MagicCookieKey) == Handshake.MagicCookieValue
}
