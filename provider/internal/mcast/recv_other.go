//go:build !linux

package mcast

import (
	"net"
	"net/netip"

	"golang.org/x/net/ipv4"
)

// batchReader reads up to readBatch datagrams with x/net's ReadBatch of
// the family's PacketConn (recvmmsg where the system has it, else one
// datagram a call).
type batchReader struct {
	pc pconn
	ms []ipv4.Message // the same type as ipv6.Message
}

// newBatchReader prepares readBatch buffers of size bytes for pc, with
// room for the control messages it asks for.
func newBatchReader(_ *net.UDPConn, pc pconn, size int) (*batchReader, error) {
	r := &batchReader{pc: pc, ms: make([]ipv4.Message, readBatch)}
	for i := range r.ms {
		r.ms[i].Buffers = [][]byte{make([]byte, size)}
		r.ms[i].OOB = pc.newOOB()
	}
	return r, nil
}

// read waits for datagrams and reads up to readBatch of them.
func (r *batchReader) read() (int, error) { return r.pc.readBatch(r.ms) }

// datagram returns datagram i of the last read: its data, its source and
// its control messages. The slices alias the reader's buffers until the
// next read.
func (r *batchReader) datagram(i int) (data []byte, src netip.AddrPort, oob []byte) {
	m := &r.ms[i]
	if ua, ok := m.Addr.(*net.UDPAddr); ok {
		src = ua.AddrPort()
	}
	return m.Buffers[0][:m.N], src, m.OOB[:m.NN]
}
