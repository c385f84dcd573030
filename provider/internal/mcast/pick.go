package mcast

import (
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strings"
)

// pickInterfaces returns the interfaces to use: the configured ones, or the
// one that has if_addr, or the one the kernel routes the group to (with
// Broadcast: the only one that is up and can broadcast).
func pickInterfaces(s Settings) ([]*net.Interface, error) {
	all, err := net.Interfaces()
	if err != nil {
		return nil, fmt.Errorf("cannot list the network interfaces: %w", err)
	}
	names := func() string {
		var n []string
		for _, ifi := range all {
			n = append(n, ifi.Name)
		}
		return strings.Join(n, ", ")
	}
	if len(s.Interfaces) > 0 {
		var out []*net.Interface
		for _, name := range s.Interfaces {
			i := slices.IndexFunc(all, func(ifi net.Interface) bool { return ifi.Name == name })
			if i < 0 {
				return nil, fmt.Errorf("%q: %w; this host has %s", name, ErrUnknownInterface, names())
			}
			out = append(out, &all[i])
		}
		return out, nil
	}
	if s.IfAddr.IsValid() && !s.IfAddr.IsUnspecified() {
		for i := range all {
			addrs, err := all[i].Addrs()
			if err != nil {
				continue
			}
			for _, a := range addrs {
				if p, ok := a.(*net.IPNet); ok {
					if ip, ok := netip.AddrFromSlice(p.IP); ok && ip.Unmap() == s.IfAddr {
						return []*net.Interface{&all[i]}, nil
					}
				}
			}
		}
		return nil, fmt.Errorf("%q: %w (interfaces: %s)", s.IfAddr, ErrAddrNotLocal, names())
	}
	if s.Broadcast {
		return broadcastInterface(all)
	}
	idx, err := routeInterface(s.Group)
	if err != nil {
		return nil, fmt.Errorf("%w %s (%w)", ErrNoRoute, s.Group, err)
	}
	i := slices.IndexFunc(all, func(ifi net.Interface) bool { return ifi.Index == idx })
	if i < 0 {
		return nil, fmt.Errorf("cannot find interface %d, which the kernel routes the group %s to", idx, s.Group)
	}
	return []*net.Interface{&all[i]}, nil
}

// broadcastInterface returns the one interface of all that is up, not a
// loopback, with the BROADCAST flag and an IPv4 address with a broadcast
// address. A broadcast has no route to follow (the kernel routes
// 255.255.255.255 by the default route, which a LAN may not have): with
// none or several such interfaces, the user names the one with iface.
func broadcastInterface(all []net.Interface) ([]*net.Interface, error) {
	addrs := allAddrs(all)
	var found []*net.Interface
	for i := range all {
		ifi := &all[i]
		if ifi.Flags&net.FlagUp != 0 && ifi.Flags&net.FlagLoopback == 0 && ifi.Flags&net.FlagBroadcast != 0 &&
			addrs[ifi.Index].bcast.IsValid() {
			found = append(found, ifi)
		}
	}
	switch len(found) {
	case 1:
		return found, nil
	case 0:
		return nil, fmt.Errorf("%w: no interface is up with the BROADCAST flag and an IPv4 address with a broadcast address", ErrChooseInterface)
	}
	var n []string
	for _, ifi := range found {
		n = append(n, ifi.Name)
	}
	return nil, fmt.Errorf("%w: several can (%s)", ErrChooseInterface, strings.Join(n, ", "))
}
