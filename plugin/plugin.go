// Package plugin runs go-discover providers out of process, as
// hashicorp/go-plugin binaries speaking gRPC, and loads them back into a
// go-discover host.
//
// Plugin side: a binary that serves providers calls Serve, usually only when
// a host launched it:
//
//	func main() {
//		if plugin.Launched() {
//			plugin.Serve(map[string]plugin.Provider{"mcgossip": &mcgossip.Provider{}})
//			return
//		}
//		// ... the command line interface
//	}
//
// Host side: NewProvider returns a *RemoteProvider that satisfies go-discover's
// Provider and ProviderWithUserAgent interfaces and starts the plugin on
// first use; Discover loads every go-discover-* executable of a directory:
//
//	loaded, err := plugin.Discover("/usr/lib/go-discover")
//	providers := map[string]discover.Provider{}
//	for name, p := range loaded {
//		providers[name] = p
//	}
//	d, err := discover.New(discover.WithProviders(providers))
//
// Both sides are generic over providers: this package does not import
// github.com/hashicorp/go-discover.
//
// The protocol (version 1) is defined in proto/discover/v1/provider.proto;
// its generated code is checked in and regenerated with go generate.
package plugin

//go:generate sh proto/gen.sh

import "log"

// Provider is the interface of a go-discover provider
// (github.com/hashicorp/go-discover.Provider), declared here so that this
// package does not link go-discover and its cloud SDKs. A provider may also
// have SetUserAgent(string) (go-discover's ProviderWithUserAgent), which the
// plugin calls with the host's user agent, and Close() error, which the
// plugin calls when it shuts down.
type Provider interface {
	// Addrs returns the addresses the provider discovers for args, logging
	// to l (nil means discard).
	Addrs(args map[string]string, l *log.Logger) ([]string, error)
	// Help describes the provider's configuration keys.
	Help() string
}
