package libcluster

import (
	"crypto/md5"
	"crypto/rand"
	"crypto/subtle"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"syscall"
)

// Distribution capability flags (erl_dist_protocol, "Distribution Flags";
// the values are those of erts' dist.h).
const (
	flagExtendedReferences = 0x4
	flagDistMonitor        = 0x8
	flagFunTags            = 0x10
	flagDistMonitorName    = 0x20
	flagNewFunTags         = 0x80
	flagExtendedPidsPorts  = 0x100
	flagExportPtrTag       = 0x200
	flagBitBinaries        = 0x400
	flagNewFloats          = 0x800
	flagUnicodeIO          = 0x1000
	flagSmallAtomTags      = 0x4000
	flagUTF8Atoms          = 0x10000
	flagMapTag             = 0x20000
	flagBigCreation        = 0x40000
	flagHandshake23        = 0x1000000
	flagUnlinkID           = 0x2000000
	flagMandatory25Digest  = 0x4000000
	flagV4NC               = 0x4 << 32
)

// probeFlags are the flags of our send_name: everything OTP 25 to 28 make
// mandatory, and without DFLAG_PUBLISHED (0x1), so the node sees a hidden
// node that never shows in nodes(). Nothing is sent after the handshake,
// so no capability is ever used.
const probeFlags uint64 = flagExtendedReferences | flagDistMonitor | flagFunTags | flagDistMonitorName |
	flagNewFunTags | flagExtendedPidsPorts | flagExportPtrTag | flagBitBinaries | flagNewFloats |
	flagUnicodeIO | flagSmallAtomTags | flagUTF8Atoms | flagMapTag | flagBigCreation |
	flagHandshake23 | flagUnlinkID | flagMandatory25Digest | flagV4NC

// maxHandshakeMsg bounds a handshake message we read: a challenge with a
// 255-byte name and room for the extra data the protocol allows.
const maxHandshakeMsg = 1024

// Errors of a check, for errors.Is. None holds the cookie or a digest.
var (
	// ErrCookie: the node does not share the cookie. Either it closed the
	// connection on our digest (and logged "Invalid challenge reply"), or
	// its own digest was wrong.
	ErrCookie = errors.New("libcluster: the node does not share the cookie")
	// ErrNotRegistered: epmd on the host knows no node of that name.
	ErrNotRegistered = errors.New("libcluster: epmd on the node's host knows no node of that name")
	// ErrNotAllowed: the node refuses connections from our name (its
	// net_kernel allow list), and logged an error.
	ErrNotAllowed = errors.New("libcluster: the node does not allow our node name to connect (status not_allowed)")
	// ErrBusy: the node is already connecting to, or connected to, a node
	// of our name (status nok or alive); try later.
	ErrBusy = errors.New("libcluster: the node is busy with another connection of our node name")
	// ErrProtocol: epmd or the node broke the protocol, or is another node
	// than the heartbeat named.
	ErrProtocol = errors.New("libcluster: distribution protocol error")
)

func protocolError(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrProtocol}, args...)...)
}

// handshake is one run of the distribution handshake, as the initiator.
type handshake struct {
	conn     net.Conn
	self     string // our node name
	creation uint32 // our incarnation
	cookie   []byte
	peer     Node
	buf      [2 + maxHandshakeMsg]byte
}

// challenge runs the handshake up to the node's challenge (steps 1 to 4:
// send_name, status, challenge) and returns the node's challenge and its
// incarnation (creation). Up to here nothing depends on the cookie.
func (h *handshake) challenge() (challenge, creation uint32, err error) {
	msg := make([]byte, 0, 15+len(h.self))
	msg = append(msg, 'N')
	msg = binary.BigEndian.AppendUint64(msg, probeFlags)
	msg = binary.BigEndian.AppendUint32(msg, h.creation)
	msg = binary.BigEndian.AppendUint16(msg, uint16(len(h.self)))
	msg = append(msg, h.self...)
	if err := h.write(msg); err != nil {
		return 0, 0, err
	}
	status, err := h.read()
	if err != nil {
		return 0, 0, err
	}
	if len(status) < 1 || status[0] != 's' {
		return 0, 0, protocolError("expected a status message, got %s", describe(status))
	}
	switch string(status[1:]) {
	case "ok", "ok_simultaneous":
	case "nok":
		return 0, 0, ErrBusy
	case "alive":
		// The node believes a connection of our name is up: let it keep
		// that one rather than replace it.
		if err := h.write([]byte("sfalse")); err != nil {
			return 0, 0, err
		}
		return 0, 0, ErrBusy
	case "not_allowed":
		return 0, 0, ErrNotAllowed
	default:
		return 0, 0, protocolError("unknown status %q", limit(status[1:]))
	}
	m, err := h.read()
	if err != nil {
		return 0, 0, err
	}
	// 'N', flags (8), challenge (4), creation (4), name length (2), name,
	// then extra data to ignore.
	if len(m) < 19 || m[0] != 'N' {
		return 0, 0, protocolError("expected a version 6 challenge, got %s", describe(m))
	}
	n := int(binary.BigEndian.Uint16(m[17:19]))
	if len(m) < 19+n {
		return 0, 0, protocolError("challenge shorter than its node name")
	}
	if name := m[19 : 19+n]; string(name) != string(h.peer) {
		return 0, 0, protocolError("the node at that port is %q, not %q", limit(name), h.peer)
	}
	return binary.BigEndian.Uint32(m[9:13]), binary.BigEndian.Uint32(m[13:17]), nil
}

// prove finishes the handshake (steps 5 to 7): it sends our challenge and
// the digest of the node's, and checks the digest of ours that the node
// sends back. It returns nil when both prove the same cookie, ErrCookie
// when either does not.
func (h *handshake) prove(theirs uint32) error {
	var b [4]byte
	if _, err := rand.Read(b[:]); err != nil {
		return fmt.Errorf("libcluster: challenge: %w", err)
	}
	ours := binary.BigEndian.Uint32(b[:])
	msg := make([]byte, 0, 21)
	msg = append(msg, 'r')
	msg = binary.BigEndian.AppendUint32(msg, ours)
	msg = append(msg, digest(h.cookie, theirs)...)
	if err := h.write(msg); err != nil {
		return err
	}
	ack, err := h.read()
	if err != nil {
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			return err
		}
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNRESET) {
			// The node hung up on our digest: it checked it and found
			// another cookie (and logged so).
			return fmt.Errorf("%w: it closed the connection on our digest", ErrCookie)
		}
		return err
	}
	if len(ack) != 17 || ack[0] != 'a' {
		return protocolError("expected a challenge ack, got %s", describe(ack))
	}
	if subtle.ConstantTimeCompare(ack[1:], digest(h.cookie, ours)) != 1 {
		return fmt.Errorf("%w: it accepted our digest but answered ours wrongly", ErrCookie)
	}
	return nil
}

// digest is the handshake's proof of the cookie for a challenge:
// MD5(cookie ‖ the challenge in decimal).
func digest(cookie []byte, challenge uint32) []byte {
	h := md5.New()
	h.Write(cookie)
	h.Write(strconv.AppendUint(nil, uint64(challenge), 10))
	return h.Sum(nil)
}

// write sends one message with its 2-byte length.
func (h *handshake) write(msg []byte) error {
	out := binary.BigEndian.AppendUint16(make([]byte, 0, 2+len(msg)), uint16(len(msg)))
	if _, err := h.conn.Write(append(out, msg...)); err != nil {
		return fmt.Errorf("libcluster: handshake: %w", err)
	}
	return nil
}

// read reads one message (aliasing h.buf until the next read).
func (h *handshake) read() ([]byte, error) {
	if _, err := io.ReadFull(h.conn, h.buf[:2]); err != nil {
		return nil, fmt.Errorf("libcluster: handshake: %w", err)
	}
	n := int(binary.BigEndian.Uint16(h.buf[:2]))
	if n > maxHandshakeMsg {
		return nil, protocolError("handshake message of %d bytes", n)
	}
	if _, err := io.ReadFull(h.conn, h.buf[2:2+n]); err != nil {
		return nil, fmt.Errorf("libcluster: handshake: %w", err)
	}
	return h.buf[2 : 2+n], nil
}

// describe names a message by its tag, for errors.
func describe(m []byte) string {
	if len(m) == 0 {
		return "an empty message"
	}
	return fmt.Sprintf("tag %q (%d bytes)", m[0], len(m))
}

// limit shortens peer-supplied text for errors.
func limit(b []byte) string {
	if len(b) > 64 {
		return string(b[:64]) + "..."
	}
	return string(b)
}
