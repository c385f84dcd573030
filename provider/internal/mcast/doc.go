// Package mcast is the operating-system layer of the multicast providers:
// a Transport of two UDP sockets of one address family (one joined to a
// group, or receiving broadcasts; one for unicast and for sending), the
// socket options that let several of them share a host and a port, the
// kernel's route to the group, each interface's addresses (rtnetlink's
// flags tell a tentative IPv6 one), and a watch on the interfaces that
// joins the group again on an interface that comes back, from the network
// namespace the Transport was opened in. IPv4 and IPv6 groups alike; IPv4
// broadcast for networks that drop multicast.
//
// It knows no protocol and no configuration keys: Open takes plain
// Settings, and the errors a caller should tell its user about wrap the
// sentinels ErrUnknownInterface, ErrAddrNotLocal, ErrNoRoute and
// ErrChooseInterface, so the caller can name its own keys. Log lines go to
// a Logger.
package mcast
