// Package mcast is the operating-system layer of the multicast providers:
// a Transport of two IPv4 UDP sockets (one joined to a group, one for
// unicast and for sending), the socket options that let several of them
// share a host and a port, the kernel's route to the group, and a watch on
// the interfaces that joins the group again on an interface that comes
// back, from the network namespace the Transport was opened in.
//
// It knows no protocol and no configuration keys: Open takes plain
// Settings, and the errors a caller should tell its user about wrap the
// sentinels ErrUnknownInterface, ErrAddrNotLocal and ErrNoRoute, so the
// caller can name its own keys. Log lines go to a Logger.
package mcast
