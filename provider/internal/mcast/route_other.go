//go:build !linux

package mcast

import (
	"errors"
	"net"
	"net/netip"
)

// routeInterface finds the interface the kernel sends to dst through, by
// the source address of a connected UDP socket (which sends nothing).
func routeInterface(dst netip.Addr) (int, error) {
	network := "udp4"
	if dst.Is6() {
		network = "udp6"
	}
	c, err := net.DialUDP(network, nil, net.UDPAddrFromAddrPort(netip.AddrPortFrom(dst, 9)))
	if err != nil {
		return 0, err
	}
	local := c.LocalAddr().(*net.UDPAddr).AddrPort().Addr().Unmap()
	c.Close()
	ifs, err := net.Interfaces()
	if err != nil {
		return 0, err
	}
	for _, ifi := range ifs {
		addrs, _ := ifi.Addrs()
		for _, a := range addrs {
			if p, ok := a.(*net.IPNet); ok {
				if ip, ok := netip.AddrFromSlice(p.IP); ok && ip.Unmap() == local {
					return ifi.Index, nil
				}
			}
		}
	}
	return 0, errors.New("no interface has the source address " + local.String())
}
