package mcast

import (
	"net"
	"net/netip"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// batchReader reads up to readBatch datagrams with one recvmmsg, made with
// a raw system call: the socket is non-blocking (the netpoller waits for
// it), so the call never blocks and need not tell the Go scheduler, and
// does not wake its sysmon thread. A system call made the usual way
// (syscall.Syscall, as x/net's PacketConn.ReadBatch and every net read
// make it) runs entersyscall, which wakes sysmon from its deep sleep
// whenever the process was idle; sysmon then sleeps 20 µs twice before it
// sleeps deeply again: three context switches for every datagram an idle
// engine receives, on top of the one of the thread that the datagram
// wakes (measured with strace and voluntary_ctxt_switches: 4.5 wake-ups a
// datagram before, about 1 after; BENCHMARKS.md, footprint).
//
// The same for both families: the source is a sockaddr_in or
// sockaddr_in6, and the control messages (IP_PKTINFO or IPV6_PKTINFO)
// are sized and parsed by the family's pconn.
//
// The buffers are allocated once; reading allocates nothing.
type batchReader struct {
	rc    syscall.RawConn
	hdrs  []mmsghdr
	iovs  []unix.Iovec
	names []unix.RawSockaddrAny
	bufs  [][]byte
	oobs  [][]byte
}

// mmsghdr is struct mmsghdr: a msghdr and the length received (Go's
// layout pads it as C does).
type mmsghdr struct {
	hdr unix.Msghdr
	len uint32
}

// newBatchReader prepares readBatch buffers of size bytes for c, with
// room for the control messages pc asks for.
func newBatchReader(c *net.UDPConn, pc pconn, size int) (*batchReader, error) {
	rc, err := c.SyscallConn()
	if err != nil {
		return nil, err
	}
	r := &batchReader{
		rc:    rc,
		hdrs:  make([]mmsghdr, readBatch),
		iovs:  make([]unix.Iovec, readBatch),
		names: make([]unix.RawSockaddrAny, readBatch),
		bufs:  make([][]byte, readBatch),
		oobs:  make([][]byte, readBatch),
	}
	for i := range r.hdrs {
		r.bufs[i] = make([]byte, size)
		r.oobs[i] = pc.newOOB()
		r.iovs[i].Base = &r.bufs[i][0]
		r.iovs[i].SetLen(size)
		h := &r.hdrs[i].hdr
		h.Name = (*byte)(unsafe.Pointer(&r.names[i]))
		h.Iov = &r.iovs[i]
		h.SetIovlen(1)
		h.Control = &r.oobs[i][0]
	}
	return r, nil
}

// read waits for datagrams and reads up to readBatch of them; an error
// wraps net.ErrClosed once the socket is closed.
func (r *batchReader) read() (int, error) {
	for i := range r.hdrs {
		h := &r.hdrs[i].hdr
		h.Namelen = unix.SizeofSockaddrAny
		h.SetControllen(len(r.oobs[i]))
		h.Flags = 0
		r.hdrs[i].len = 0
	}
	var n int
	var serr error
	err := r.rc.Read(func(fd uintptr) bool {
		for {
			got, _, e := syscall.RawSyscall6(unix.SYS_RECVMMSG, fd, uintptr(unsafe.Pointer(&r.hdrs[0])),
				uintptr(len(r.hdrs)), unix.MSG_DONTWAIT, 0, 0)
			switch e {
			case 0:
				n = int(got)
				return true
			case unix.EINTR:
				continue
			case unix.EAGAIN:
				return false // the netpoller waits for the next datagram
			}
			serr = e
			return true
		}
	})
	if err != nil {
		return 0, err
	}
	return n, serr
}

// datagram returns datagram i of the last read: its data, its source (as
// the kernel gives it: no zone, maybe v4-mapped) and its control
// messages. The slices alias the reader's buffers until the next read.
func (r *batchReader) datagram(i int) (data []byte, src netip.AddrPort, oob []byte) {
	m := &r.hdrs[i]
	return r.bufs[i][:m.len], sockaddrPort(&r.names[i]), r.oobs[i][:m.hdr.Controllen]
}

// sockaddrPort returns the address of a received datagram's source, the
// zero AddrPort for an unknown family.
func sockaddrPort(sa *unix.RawSockaddrAny) netip.AddrPort {
	switch sa.Addr.Family {
	case unix.AF_INET:
		s := (*unix.RawSockaddrInet4)(unsafe.Pointer(sa))
		p := (*[2]byte)(unsafe.Pointer(&s.Port))
		return netip.AddrPortFrom(netip.AddrFrom4(s.Addr), uint16(p[0])<<8|uint16(p[1]))
	case unix.AF_INET6:
		s := (*unix.RawSockaddrInet6)(unsafe.Pointer(sa))
		p := (*[2]byte)(unsafe.Pointer(&s.Port))
		return netip.AddrPortFrom(netip.AddrFrom16(s.Addr), uint16(p[0])<<8|uint16(p[1]))
	}
	return netip.AddrPort{}
}
