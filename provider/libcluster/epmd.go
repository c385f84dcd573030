package libcluster

import (
	"encoding/binary"
	"fmt"
	"io"
	"net"
)

// DefaultEpmdPort is epmd's port, 4369.
const DefaultEpmdPort = 4369

// epmd messages (erl_dist_protocol, "EPMD Protocol").
const (
	epmdPortPlease2Req = 122 // PORT_PLEASE2_REQ: the node name
	epmdPort2Resp      = 119 // PORT2_RESP: result, then the node's entry
)

// distVersion is the one distribution handshake version spoken here, that
// of OTP 23 and later ('N' names); OTP 25 and later speak only it.
const distVersion = 6

// epmdEntry is the part of epmd's answer about a node that is used.
type epmdEntry struct {
	port      uint16 // the distribution port
	high, low uint16 // the handshake versions the node speaks
}

// portPlease asks epmd on conn for the node registered as name (the part
// before the '@') and reads its answer. epmd closes the connection after
// it.
func portPlease(conn net.Conn, name string) (epmdEntry, error) {
	req := make([]byte, 0, 3+len(name))
	req = binary.BigEndian.AppendUint16(req, uint16(1+len(name)))
	req = append(req, epmdPortPlease2Req)
	req = append(req, name...)
	if _, err := conn.Write(req); err != nil {
		return epmdEntry{}, fmt.Errorf("libcluster: epmd request: %w", err)
	}
	var head [2]byte
	if _, err := io.ReadFull(conn, head[:]); err != nil {
		return epmdEntry{}, fmt.Errorf("libcluster: epmd answer: %w", err)
	}
	switch {
	case head[0] != epmdPort2Resp:
		return epmdEntry{}, protocolError("epmd answered with message %d, not PORT2_RESP", head[0])
	case head[1] != 0:
		return epmdEntry{}, ErrNotRegistered
	}
	// port (2), node type (1), protocol (1), highest and lowest version (2
	// each), name length (2), name, extra length (2), extra.
	var fixed [10]byte
	if _, err := io.ReadFull(conn, fixed[:]); err != nil {
		return epmdEntry{}, fmt.Errorf("libcluster: epmd answer: %w", err)
	}
	e := epmdEntry{
		port: binary.BigEndian.Uint16(fixed[0:2]),
		high: binary.BigEndian.Uint16(fixed[4:6]),
		low:  binary.BigEndian.Uint16(fixed[6:8]),
	}
	got := make([]byte, binary.BigEndian.Uint16(fixed[8:10]))
	if _, err := io.ReadFull(conn, got); err != nil {
		return epmdEntry{}, fmt.Errorf("libcluster: epmd answer: %w", err)
	}
	switch {
	case string(got) != name:
		return epmdEntry{}, protocolError("epmd answered for another name")
	case fixed[3] != 0:
		return epmdEntry{}, protocolError("epmd names protocol %d, not TCP (0)", fixed[3])
	case e.port == 0:
		return epmdEntry{}, protocolError("epmd names port 0")
	case e.low > distVersion || e.high < distVersion:
		return epmdEntry{}, fmt.Errorf("%w: the node speaks distribution versions %d to %d, not %d (OTP 23 or later)",
			ErrProtocol, e.low, e.high, distVersion)
	}
	return e, nil
}
