package mcast

import (
	"net"
	"net/netip"
)

// ifAddrs are the addresses of one interface that a Transport uses.
type ifAddrs struct {
	// v4 is the interface's first IPv4 address, the one the kernel sends
	// multicast from (its primary address); invalid for none.
	v4 netip.Addr
	// bcast is v4's broadcast address: the one the kernel has for it, or
	// else the last address of its prefix (which the kernel routes as a
	// broadcast too); invalid for none or for a /31 or /32.
	bcast netip.Addr
	// v6 is the IPv6 address peers reach this host at on the interface:
	// a global or unique-local one (a stable one before a temporary or a
	// deprecated one), else the link-local one, else the loopback one;
	// never a tentative one (duplicate address detection still running)
	// or one whose detection failed. Invalid for none.
	v6 netip.Addr
	// v6Pending tells that the interface has IPv6 addresses but all are
	// still tentative: DAD is running.
	v6Pending bool
}

// rank6 orders the candidates for ifAddrs.v6: higher is better, 0 means
// unusable.
func rank6(a netip.Addr, tentative, failed, deprecated, temporary bool) int {
	switch {
	case tentative || failed || !a.Is6() || a.Is4In6() || a.IsMulticast() || a.IsUnspecified():
		return 0
	case a.IsLoopback():
		return 1
	case a.IsLinkLocalUnicast():
		return 2
	case deprecated:
		return 3
	case temporary:
		return 4
	}
	return 5
}

// broadcastOf returns the last address of the IPv4 prefix p, its
// broadcast address, or the invalid Addr for a /31 or /32 (which have
// none).
func broadcastOf(p netip.Prefix) netip.Addr {
	if !p.Addr().Is4() || p.Bits() >= 31 {
		return netip.Addr{}
	}
	a := p.Addr().As4()
	host := ^uint32(0) >> p.Bits()
	v := uint32(a[0])<<24 | uint32(a[1])<<16 | uint32(a[2])<<8 | uint32(a[3])
	v |= host
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
}

// addrsFromNet returns the addresses of ifi as the standard library lists
// them, without the flags only rtnetlink tells (tentative, deprecated,
// temporary): what platforms other than Linux use.
func addrsFromNet(ifi *net.Interface) ifAddrs {
	var out ifAddrs
	addrs, err := ifi.Addrs()
	if err != nil {
		return out
	}
	best := 0
	for _, a := range addrs {
		p, ok := a.(*net.IPNet)
		if !ok {
			continue
		}
		ip, ok := netip.AddrFromSlice(p.IP)
		if !ok {
			continue
		}
		bits, _ := p.Mask.Size()
		if ip.Is4() || ip.Is4In6() {
			if ip = ip.Unmap(); !out.v4.IsValid() {
				out.v4 = ip
				out.bcast = broadcastOf(netip.PrefixFrom(ip, bits))
			}
			continue
		}
		if r := rank6(ip, false, false, false, false); r > best {
			best, out.v6 = r, ip
		}
	}
	return out
}

// addrsFromNetAll is addrsFromNet for each of ifs, by index.
func addrsFromNetAll(ifs []net.Interface) map[int]ifAddrs {
	out := make(map[int]ifAddrs, len(ifs))
	for i := range ifs {
		out[ifs[i].Index] = addrsFromNet(&ifs[i])
	}
	return out
}
