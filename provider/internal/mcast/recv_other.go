//go:build !linux

package mcast

import (
	"net"
	"net/netip"

	"golang.org/x/net/ipv4"
)

// batchReader reads up to readBatch datagrams with ipv4.PacketConn's
// ReadBatch (recvmmsg where the system has it, else one datagram a call).
type batchReader struct {
	pc *ipv4.PacketConn
	ms []ipv4.Message
	cm ipv4.ControlMessage
}

// newBatchReader prepares readBatch buffers of size bytes for pc.
func newBatchReader(_ *net.UDPConn, pc *ipv4.PacketConn, size int) (*batchReader, error) {
	r := &batchReader{pc: pc, ms: make([]ipv4.Message, readBatch)}
	for i := range r.ms {
		r.ms[i].Buffers = [][]byte{make([]byte, size)}
		r.ms[i].OOB = ipv4.NewControlMessage(ipv4.FlagDst | ipv4.FlagInterface)
	}
	return r, nil
}

// read waits for datagrams and reads up to readBatch of them.
func (r *batchReader) read() (int, error) { return r.pc.ReadBatch(r.ms, 0) }

// fill sets p from datagram i of the last read.
func (r *batchReader) fill(i int, p *Packet) {
	m := &r.ms[i]
	p.Data = m.Buffers[0][:m.N]
	if ua, ok := m.Addr.(*net.UDPAddr); ok {
		p.Src = ua.AddrPort()
		p.Src = netip.AddrPortFrom(p.Src.Addr().Unmap(), p.Src.Port())
	}
	if m.NN > 0 {
		r.cm = ipv4.ControlMessage{} // Parse does not clear what a datagram lacks
		if err := r.cm.Parse(m.OOB[:m.NN]); err == nil {
			if a, ok := netip.AddrFromSlice(r.cm.Dst); ok {
				p.Dst = a.Unmap()
			}
			p.IfIndex = r.cm.IfIndex
		}
	}
}
