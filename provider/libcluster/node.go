package libcluster

import (
	"net/netip"
	"strings"
)

// MaxNodeLen is the longest node name accepted, in bytes: an atom holds at
// most 255 characters, and accepted names are ASCII.
const MaxNodeLen = 255

// Node is an Erlang node name, "name@host", that ParseNode accepts.
type Node string

// ParseNode returns s as a Node if it is a node name this package accepts:
// at most MaxNodeLen bytes, one '@', a name part of ASCII letters, digits
// and . _ -, and a host part of the same and ':' (an IPv6 literal); not
// "nonode@nohost", which a node without distribution calls itself. Erlang
// allows more; libcluster clusters use names like "app@10.0.0.5" or
// "app@host.example". Its error has ReasonName.
func ParseNode(s string) (Node, error) {
	if !validNode(s) {
		return "", errName
	}
	return Node(s), nil
}

// validNode reports whether b is an accepted node name (see ParseNode).
func validNode[T string | []byte](b T) bool {
	if len(b) < 3 || len(b) > MaxNodeLen {
		return false
	}
	at := -1
	for i := 0; i < len(b); i++ {
		c := b[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '.', c == '_', c == '-':
		case c == ':' && at >= 0:
		case c == '@' && at < 0:
			at = i
		default:
			return false
		}
	}
	return at > 0 && at < len(b)-1 && string(b) != "nonode@nohost"
}

// Name returns the part before the '@', the name epmd knows the node by.
func (n Node) Name() string {
	name, _, _ := strings.Cut(string(n), "@")
	return name
}

// Host returns the part after the '@'.
func (n Node) Host() string {
	_, host, _ := strings.Cut(string(n), "@")
	return host
}

// Addr returns the host part as an IP address, when it is one (as with
// `elixir --name app@10.0.0.5`); otherwise the zero Addr.
func (n Node) Addr() netip.Addr {
	a, err := netip.ParseAddr(n.Host())
	if err != nil {
		return netip.Addr{}
	}
	return a.Unmap()
}

// DialAddr returns the address to check the node at, given src, the source
// address of its heartbeat: always src itself, so that an unauthenticated
// heartbeat never makes a checker dial a third host. A name whose host is
// an IP address must name src (error with ReasonSource otherwise). A name
// with a host name is checked at src without resolving it: the check then
// proves that src runs a node of that name with the cookie, whatever the
// name resolves to.
func (n Node) DialAddr(src netip.Addr) (netip.Addr, error) {
	src = src.Unmap()
	if !src.IsValid() || src.IsUnspecified() || src.IsMulticast() {
		return netip.Addr{}, errSource
	}
	if a := n.Addr(); a.IsValid() && a != src {
		return netip.Addr{}, errSource
	}
	return src, nil
}
