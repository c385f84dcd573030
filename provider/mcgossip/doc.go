// Package mcgossip provides node discovery over authenticated UDP multicast,
// as a provider for github.com/hashicorp/go-discover.
//
// A node announces itself on a multicast group; Addrs multicasts a query and
// returns the addresses of the peers that answer it and share its cookie.
// Every datagram is sealed with XChaCha20-Poly1305 under a key derived from
// the cookie (see package wire), so clusters with different cookies share a
// group without seeing each other, and the cookie never travels. The group
// is IPv4 or IPv6, or one of each (family=dual: peers of either family,
// each listed once); where a network drops multicast, broadcast_only=true
// broadcasts instead, with the same sealed protocol.
//
// The Provider satisfies go-discover's Provider interface structurally: this
// package does not import go-discover. Register it with
//
//	providers := map[string]discover.Provider{"mcgossip": &mcgossip.Provider{}}
//	d, _ := discover.New(discover.WithProviders(providers))
//	addrs, err := d.Addrs("provider=mcgossip cookie=...", logger)
//
// Behind the Provider is an Engine per network configuration. The first
// Addrs for a configuration starts one; it lives until Provider.Close:
// it joins the group, announces itself with jittered heartbeats (unless
// announce=false), answers queries, and keeps a peer table that forgets
// silent peers and removes a peer at once on its signed leave. Programs that
// want the peer table itself (the agent and watch commands) use NewEngine.
package mcgossip
