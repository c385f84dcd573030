// Package libcluster is the go-discover provider "libcluster" of
// go-discover-mcgossip: it finds the BEAM nodes of an Elixir libcluster
// Cluster.Strategy.Gossip cluster by the heartbeats they multicast, and
// with the cluster's Erlang cookie lists only the nodes that share it.
// Provider is the go-discover provider; Engine listens (it never sends on
// the group) and keeps the table of nodes; Decoder and Checker are its
// parts.
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
//
// The check has the limits of Erlang's handshake, which libcluster's own
// connect shares. The side that connects proves the cookie first: it sends
// MD5(cookie ‖ challenge) for the node's challenge before the node proved
// anything, so any host that sends a heartbeat naming itself and answers
// on epmd's port and a distribution port collects a digest for a challenge
// it picks, and can test guesses of the cookie offline; the cookie must be
// long and random. A heartbeat with a spoofed source address makes the
// engine connect to epmd at that address, whatever it is; the table's
// bounds (per source and in all), the cap on concurrent checks and the
// back-off after a failed check limit how often. A known incarnation at
// the known port keeps its verdict without a new proof for up to 10
// minutes (see Checker).
package libcluster
