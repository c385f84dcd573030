package mcast

import (
	"encoding/binary"
	"fmt"
	"net"
	"net/netip"
	"syscall"

	"golang.org/x/sys/unix"
)

// interfaceAddrs returns the addresses of every interface, by index, from
// rtnetlink (RTM_GETADDR) in the calling thread's network namespace: the
// standard library's lists lack the flags that tell a tentative IPv6
// address (DAD running), a deprecated or a temporary one, and the
// broadcast address the kernel has.
func interfaceAddrs() (map[int]ifAddrs, error) {
	rib, err := syscall.NetlinkRIB(unix.RTM_GETADDR, unix.AF_UNSPEC)
	if err != nil {
		return nil, fmt.Errorf("listing the addresses: %w", err)
	}
	msgs, err := syscall.ParseNetlinkMessage(rib)
	if err != nil {
		return nil, fmt.Errorf("parsing the addresses: %w", err)
	}
	out := make(map[int]ifAddrs)
	best := make(map[int]int)
	for i := range msgs {
		m := &msgs[i]
		if m.Header.Type != unix.RTM_NEWADDR || len(m.Data) < unix.SizeofIfAddrmsg {
			continue
		}
		fam, plen, flags := m.Data[0], int(m.Data[1]), uint32(m.Data[2])
		idx := int(binary.NativeEndian.Uint32(m.Data[4:8]))
		attrs, err := syscall.ParseNetlinkRouteAttr(m)
		if err != nil {
			continue
		}
		var local, addr, brd netip.Addr
		for _, at := range attrs {
			a, _ := netip.AddrFromSlice(at.Value)
			switch at.Attr.Type {
			case unix.IFA_LOCAL:
				local = a
			case unix.IFA_ADDRESS:
				addr = a
			case unix.IFA_BROADCAST:
				brd = a
			case unix.IFA_FLAGS:
				if len(at.Value) >= 4 {
					flags = binary.NativeEndian.Uint32(at.Value)
				}
			}
		}
		cur := out[idx]
		switch fam {
		case unix.AF_INET:
			if !local.IsValid() {
				local = addr
			}
			if cur.v4.IsValid() || flags&unix.IFA_F_SECONDARY != 0 || !local.IsValid() {
				continue
			}
			cur.v4, cur.bcast = local, brd
			if !brd.IsValid() || brd == netip.AddrFrom4([4]byte{255, 255, 255, 255}) {
				cur.bcast = broadcastOf(netip.PrefixFrom(local, plen))
			}
		case unix.AF_INET6:
			r := rank6(addr, flags&unix.IFA_F_TENTATIVE != 0, flags&unix.IFA_F_DADFAILED != 0,
				flags&unix.IFA_F_DEPRECATED != 0, flags&unix.IFA_F_TEMPORARY != 0)
			if r > best[idx] {
				best[idx], cur.v6 = r, addr
			}
			if flags&unix.IFA_F_TENTATIVE != 0 && !cur.v6.IsValid() {
				cur.v6Pending = true
			}
		}
		if cur.v6.IsValid() {
			cur.v6Pending = false
		}
		out[idx] = cur
	}
	return out, nil
}

// allAddrs returns the addresses of the interfaces ifs by index, from
// rtnetlink, or else as the standard library lists them.
func allAddrs(ifs []net.Interface) map[int]ifAddrs {
	if all, err := interfaceAddrs(); err == nil {
		return all
	}
	return addrsFromNetAll(ifs)
}
