package mcast

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// routeInterface asks the kernel (rtnetlink RTM_GETROUTE, as `ip route get`
// does) which interface it sends to dst through, in the calling thread's
// network namespace. It returns the interface index.
func routeInterface(dst netip.Addr) (int, error) {
	dst = dst.WithZone("")
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.NETLINK_ROUTE)
	if err != nil {
		return 0, os.NewSyscallError("socket", err)
	}
	defer unix.Close(fd)
	if err := unix.Bind(fd, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		return 0, os.NewSyscallError("bind", err)
	}
	a := dst.AsSlice()
	attrLen := unix.SizeofRtAttr + len(a)
	msgLen := unix.NLMSG_HDRLEN + unix.SizeofRtMsg + attrLen
	b := make([]byte, msgLen)
	binary.NativeEndian.PutUint32(b[0:4], uint32(msgLen))
	binary.NativeEndian.PutUint16(b[4:6], unix.RTM_GETROUTE)
	binary.NativeEndian.PutUint16(b[6:8], unix.NLM_F_REQUEST)
	binary.NativeEndian.PutUint32(b[8:12], 1)
	rt := b[unix.NLMSG_HDRLEN:]
	rt[0] = unix.AF_INET // family
	if dst.Is6() {
		rt[0] = unix.AF_INET6
	}
	rt[1] = byte(8 * len(a)) // dst_len
	attr := rt[unix.SizeofRtMsg:]
	binary.NativeEndian.PutUint16(attr[0:2], uint16(attrLen))
	binary.NativeEndian.PutUint16(attr[2:4], unix.RTA_DST)
	copy(attr[4:], a)
	if err := unix.Sendto(fd, b, 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		return 0, os.NewSyscallError("sendto", err)
	}
	buf := make([]byte, 8192)
	n, _, err := unix.Recvfrom(fd, buf, 0)
	if err != nil {
		return 0, os.NewSyscallError("recvfrom", err)
	}
	msgs, err := syscall.ParseNetlinkMessage(buf[:n])
	if err != nil {
		return 0, fmt.Errorf("parsing the route: %w", err)
	}
	for i := range msgs {
		m := &msgs[i]
		switch m.Header.Type {
		case unix.NLMSG_ERROR:
			if len(m.Data) >= 4 {
				if errno := int32(binary.NativeEndian.Uint32(m.Data[0:4])); errno != 0 {
					return 0, unix.Errno(-errno)
				}
			}
		case unix.RTM_NEWROUTE:
			attrs, err := syscall.ParseNetlinkRouteAttr(m)
			if err != nil {
				return 0, fmt.Errorf("parsing the route: %w", err)
			}
			for _, at := range attrs {
				if at.Attr.Type == unix.RTA_OIF && len(at.Value) >= 4 {
					return int(binary.NativeEndian.Uint32(at.Value)), nil
				}
			}
		}
	}
	return 0, errors.New("the route has no output interface")
}
