package netns

import (
	"encoding/binary"
	"fmt"
	"net"
	"syscall"

	"golang.org/x/sys/unix"
)

// setupLoopback brings lo up with IFF_MULTICAST set and routes 224.0.0.0/4
// to it, so multicast sent in the namespace loops back to its members.
func setupLoopback() error {
	lo, err := net.InterfaceByName("lo")
	if err != nil {
		return fmt.Errorf("finding lo: %w", err)
	}
	if err := setFlags("lo", unix.IFF_UP|unix.IFF_MULTICAST); err != nil {
		return fmt.Errorf("bringing lo up with multicast: %w", err)
	}
	if err := addRoute(net.IPv4(224, 0, 0, 0).To4(), 4, lo.Index); err != nil {
		return fmt.Errorf("routing 224.0.0.0/4 to lo: %w", err)
	}
	return nil
}

// setFlags adds flags to the interface's flags with SIOCSIFFLAGS.
func setFlags(name string, flags uint16) error {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("socket: %w", err)
	}
	defer unix.Close(fd)
	ifr, err := unix.NewIfreq(name)
	if err != nil {
		return err
	}
	if err := unix.IoctlIfreq(fd, unix.SIOCGIFFLAGS, ifr); err != nil {
		return fmt.Errorf("SIOCGIFFLAGS: %w", err)
	}
	ifr.SetUint16(ifr.Uint16() | flags)
	if err := unix.IoctlIfreq(fd, unix.SIOCSIFFLAGS, ifr); err != nil {
		return fmt.Errorf("SIOCSIFFLAGS: %w", err)
	}
	return nil
}

// addRoute adds (or replaces) an IPv4 route dst/prefix via the interface
// with index ifindex in the main table, over rtnetlink. Replacing keeps it
// idempotent: go test -fuzz workers run Main again in the same namespace.
func addRoute(dst net.IP, prefix uint8, ifindex int) error {
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.NETLINK_ROUTE)
	if err != nil {
		return fmt.Errorf("netlink socket: %w", err)
	}
	defer unix.Close(fd)

	// struct rtmsg: family, dst_len, src_len, tos, table, protocol, scope,
	// type, then 32 bits of flags.
	body := make([]byte, unix.SizeofRtMsg, 64)
	body[0] = unix.AF_INET
	body[1] = prefix
	body[4] = unix.RT_TABLE_MAIN
	body[5] = unix.RTPROT_BOOT
	body[6] = unix.RT_SCOPE_LINK
	body[7] = unix.RTN_UNICAST
	body = appendAttr(body, unix.RTA_DST, dst)
	oif := make([]byte, 4)
	binary.NativeEndian.PutUint32(oif, uint32(ifindex))
	body = appendAttr(body, unix.RTA_OIF, oif)

	msg := make([]byte, unix.NLMSG_HDRLEN, unix.NLMSG_HDRLEN+len(body))
	binary.NativeEndian.PutUint32(msg[0:4], uint32(unix.NLMSG_HDRLEN+len(body)))
	binary.NativeEndian.PutUint16(msg[4:6], unix.RTM_NEWROUTE)
	binary.NativeEndian.PutUint16(msg[6:8], unix.NLM_F_REQUEST|unix.NLM_F_ACK|unix.NLM_F_CREATE|unix.NLM_F_REPLACE)
	binary.NativeEndian.PutUint32(msg[8:12], 1) // sequence number
	msg = append(msg, body...)

	if err := unix.Sendto(fd, msg, 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		return fmt.Errorf("netlink send: %w", err)
	}
	buf := make([]byte, 4096)
	n, _, err := unix.Recvfrom(fd, buf, 0)
	if err != nil {
		return fmt.Errorf("netlink receive: %w", err)
	}
	msgs, err := syscall.ParseNetlinkMessage(buf[:n])
	if err != nil {
		return fmt.Errorf("netlink parse: %w", err)
	}
	for _, m := range msgs {
		if m.Header.Type == unix.NLMSG_ERROR && len(m.Data) >= 4 {
			if errno := int32(binary.NativeEndian.Uint32(m.Data[0:4])); errno != 0 {
				return unix.Errno(-errno)
			}
			return nil
		}
	}
	return fmt.Errorf("netlink: no acknowledgement")
}

// appendAttr appends one rtattr with its payload, padded to 4 bytes.
func appendAttr(b []byte, typ uint16, payload []byte) []byte {
	l := unix.SizeofRtAttr + len(payload)
	var hdr [unix.SizeofRtAttr]byte
	binary.NativeEndian.PutUint16(hdr[0:2], uint16(l))
	binary.NativeEndian.PutUint16(hdr[2:4], typ)
	b = append(b, hdr[:]...)
	b = append(b, payload...)
	for len(b)%4 != 0 {
		b = append(b, 0)
	}
	return b
}
