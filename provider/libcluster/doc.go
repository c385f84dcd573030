// Package libcluster reads the heartbeats of Elixir libcluster's
// Cluster.Strategy.Gossip and checks the Erlang cookie of the nodes they
// name, for the go-discover provider "libcluster" of go-discover-mcgossip.
//
// A heartbeat is the bytes "heartbeat::" followed by the External Term
// Format of %{node: :"name@host"}, multicast every 1 to 5 seconds; in
// libcluster's secret mode it is encrypted with AES-256-CBC under
// SHA-256(secret), without a MAC. Decoder reads both strictly, with no
// general term decoder, and gives every rejection a Reason to count.
//
// A heartbeat proves nothing: anyone on the LAN can send one. The Erlang
// cookie is what a libcluster cluster really shares, and it is checked only
// by the distribution handshake when a node connects. Checker does that
// handshake as a hidden node (the cluster never lists it in nodes()): it
// asks epmd on the node's host for the node's port, proves the cookie to
// the node and has the node prove it back, then closes. It caches the
// verdict per node and incarnation and backs off after a rejection, which
// the node logs as an error.
package libcluster
