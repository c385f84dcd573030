package libcluster

import (
	"context"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"
)

// Protocol paths that a well-behaved BEAM node does not take (busy,
// refusing, broken or hostile peers), against a scripted epmd and node on
// 127.0.0.1. The paths a real node takes are in erlang_test.go.

// peer is a scripted node: what it does with one connection.
type peer func(t *testing.T, c net.Conn)

// serve accepts one connection at a time on a fresh port of 127.0.0.1 and
// hands each to fn, until the test ends.
func serve(t *testing.T, fn func(net.Conn)) uint16 {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	t.Cleanup(func() { ln.Close(); <-done })
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			_ = c.SetDeadline(time.Now().Add(erlWait))
			fn(c)
			c.Close()
		}
	}()
	return uint16(ln.Addr().(*net.TCPAddr).Port)
}

// fakeEpmd answers every PORT_PLEASE2_REQ with answer(name).
func fakeEpmd(t *testing.T, answer func(name string) []byte) uint16 {
	return serve(t, func(c net.Conn) {
		var hdr [3]byte
		if _, err := io.ReadFull(c, hdr[:]); err != nil || hdr[2] != epmdPortPlease2Req {
			t.Errorf("epmd request: %v, %v", hdr, err)
			return
		}
		name := make([]byte, binary.BigEndian.Uint16(hdr[:2])-1)
		if _, err := io.ReadFull(c, name); err != nil {
			t.Errorf("epmd request: %v", err)
			return
		}
		_, _ = c.Write(answer(string(name)))
	})
}

// port2Resp is epmd's answer for a node of name at port, speaking
// distribution versions low to high.
func port2Resp(name string, port, low, high uint16) []byte {
	b := []byte{epmdPort2Resp, 0}
	b = binary.BigEndian.AppendUint16(b, port)
	b = append(b, 77, 0)
	b = binary.BigEndian.AppendUint16(b, high)
	b = binary.BigEndian.AppendUint16(b, low)
	b = binary.BigEndian.AppendUint16(b, uint16(len(name)))
	b = append(b, name...)
	return append(b, 0, 0)
}

// scripted returns a Checker for cookie "c" whose epmd sends the node
// running script for node "n@127.0.0.1".
func scripted(t *testing.T, script peer) *Checker {
	t.Helper()
	port := serve(t, func(c net.Conn) { script(t, c) })
	epmd := fakeEpmd(t, func(name string) []byte { return port2Resp(name, port, 6, 6) })
	c, err := NewChecker(CheckerConfig{Cookie: []byte("c"), EpmdPort: epmd})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// recvMsg reads one handshake message of the checker.
func recvMsg(t *testing.T, c net.Conn) []byte {
	h := &handshake{conn: c}
	m, err := h.read()
	if err != nil {
		t.Errorf("reading the checker's message: %v", err)
		return nil
	}
	return append([]byte(nil), m...)
}

// sendMsg sends one handshake message to the checker.
func sendMsg(c net.Conn, m []byte) { _ = (&handshake{conn: c}).write(m) }

// challengeMsg is a node's challenge: its name, challenge and creation.
func challengeMsg(name string, challenge, creation uint32) []byte {
	b := []byte{'N'}
	b = binary.BigEndian.AppendUint64(b, probeFlags|1)
	b = binary.BigEndian.AppendUint32(b, challenge)
	b = binary.BigEndian.AppendUint32(b, creation)
	b = binary.BigEndian.AppendUint16(b, uint16(len(name)))
	return append(append(b, name...), "extra data to ignore"...)
}

// status returns a node that answers send_name with the status message s.
func status(s string) peer {
	return func(t *testing.T, c net.Conn) {
		recvMsg(t, c)
		sendMsg(c, []byte(s))
	}
}

// upToChallenge reads send_name, answers status ok and sends a challenge.
func upToChallenge(t *testing.T, c net.Conn) {
	recvMsg(t, c)
	sendMsg(c, []byte("sok"))
	sendMsg(c, challengeMsg("n@127.0.0.1", 4242, 7))
}

// TestHandshakeMessages checks what the checker sends: a version 6
// send_name of a hidden node, and a challenge reply whose digest proves the
// cookie; and that a scripted node that checks both gets a match.
func TestHandshakeMessages(t *testing.T) {
	var name []byte
	c := scripted(t, func(t *testing.T, conn net.Conn) {
		name = recvMsg(t, conn)
		sendMsg(conn, []byte("sok"))
		sendMsg(conn, challengeMsg("n@127.0.0.1", 4242, 7))
		r := recvMsg(t, conn)
		if len(r) != 21 || r[0] != 'r' || string(r[5:]) != string(digest([]byte("c"), 4242)) {
			t.Errorf("challenge reply %x does not prove the cookie", r)
			return
		}
		sendMsg(conn, append([]byte{'a'}, digest([]byte("c"), binary.BigEndian.Uint32(r[1:5]))...))
	})
	v := c.Check(context.Background(), "n@127.0.0.1", loopback)
	if v.Result != Match || v.Creation != 7 {
		t.Fatalf("verdict %+v", v)
	}
	if len(name) < 15 || name[0] != 'N' {
		t.Fatalf("send_name %x", name)
	}
	flags := binary.BigEndian.Uint64(name[1:9])
	if flags&1 != 0 || flags&flagHandshake23 == 0 || flags&(1<<33) != 0 {
		t.Errorf("flags %#x: want DFLAG_HANDSHAKE_23, without DFLAG_PUBLISHED (hidden) and DFLAG_NAME_ME", flags)
	}
	if cr := binary.BigEndian.Uint32(name[9:13]); cr < 4 {
		t.Errorf("creation %d", cr)
	}
	if n := binary.BigEndian.Uint16(name[13:15]); string(name[15:]) != "mcgossip@127.0.0.1" || int(n) != len(name)-15 {
		t.Errorf("node name %q (length %d)", name[15:], n)
	}
}

// TestHandshakeDigest checks the digest against one computed by Erlang:
// erlang:md5([atom_to_list('cookie') | integer_to_list(4294967295)]).
func TestHandshakeDigest(t *testing.T) {
	const want = "\xde\x56\xff\x9d\x11\xb0\x71\x90\x5b\xce\x59\x7a\x85\xd6\x7f\x4f"
	if got := digest([]byte("cookie"), 4294967295); string(got) != want {
		t.Fatalf("digest %x, want %x", got, want)
	}
}

// TestHandshakePeers checks the verdict on each scripted misbehaviour.
func TestHandshakePeers(t *testing.T) {
	cases := []struct {
		name   string
		script peer
		result Result
		err    error
	}{
		{"status nok", status("snok"), Unreachable, ErrBusy},
		{"status alive", func(t *testing.T, c net.Conn) {
			recvMsg(t, c)
			sendMsg(c, []byte("salive"))
			if m := recvMsg(t, c); string(m) != "sfalse" {
				t.Errorf("answer to alive: %q, want sfalse", m)
			}
		}, Unreachable, ErrBusy},
		{"status not_allowed", status("snot_allowed"), Unreachable, ErrNotAllowed},
		{"unknown status", status("swhatever"), ProtocolError, ErrProtocol},
		{"no status", status("x"), ProtocolError, ErrProtocol},
		{"closed after our name", func(t *testing.T, c net.Conn) {
			recvMsg(t, c)
		}, Unreachable, io.EOF},
		{"version 5 challenge", func(t *testing.T, c net.Conn) {
			recvMsg(t, c)
			sendMsg(c, []byte("sok"))
			sendMsg(c, append([]byte{'n', 0, 5}, make([]byte, 20)...))
		}, ProtocolError, ErrProtocol},
		{"short challenge", func(t *testing.T, c net.Conn) {
			recvMsg(t, c)
			sendMsg(c, []byte("sok"))
			sendMsg(c, challengeMsg("n@127.0.0.1", 1, 7)[:18])
		}, ProtocolError, ErrProtocol},
		{"name past the end", func(t *testing.T, c net.Conn) {
			recvMsg(t, c)
			sendMsg(c, []byte("sok"))
			sendMsg(c, challengeMsg("n@127.0.0.1", 1, 7)[:25])
		}, ProtocolError, ErrProtocol},
		{"another node", func(t *testing.T, c net.Conn) {
			recvMsg(t, c)
			sendMsg(c, []byte("sok"))
			sendMsg(c, challengeMsg("m@127.0.0.1", 1, 7))
		}, ProtocolError, ErrProtocol},
		{"oversized message", func(t *testing.T, c net.Conn) {
			recvMsg(t, c)
			_, _ = c.Write([]byte{0xff, 0xff})
		}, ProtocolError, ErrProtocol},
		{"closed on our digest", func(t *testing.T, c net.Conn) {
			upToChallenge(t, c)
			recvMsg(t, c)
		}, Mismatch, ErrCookie},
		{"wrong digest back", func(t *testing.T, c net.Conn) {
			upToChallenge(t, c)
			recvMsg(t, c)
			sendMsg(c, append([]byte{'a'}, digest([]byte("other"), 1)...))
		}, Mismatch, ErrCookie},
		{"malformed ack", func(t *testing.T, c net.Conn) {
			upToChallenge(t, c)
			recvMsg(t, c)
			sendMsg(c, []byte("a short"))
		}, ProtocolError, ErrProtocol},
		{"silent after our digest", func(t *testing.T, c net.Conn) {
			upToChallenge(t, c)
			recvMsg(t, c)
			_, _ = c.Read(make([]byte, 1)) // until the checker gives up
		}, Unreachable, context.DeadlineExceeded},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := scripted(t, tc.script)
			ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
			defer cancel()
			v := c.Check(ctx, "n@127.0.0.1", loopback)
			if v.Result != tc.result || !errors.Is(v.Err, tc.err) {
				t.Fatalf("verdict %+v (%v), want %v with %v", v, v.Err, tc.result, tc.err)
			}
			if strings.Contains(v.Err.Error(), `"c"`) {
				t.Errorf("the error may show the cookie: %v", v.Err)
			}
		})
	}
}

// TestEpmdAnswers checks the verdict on each epmd misbehaviour.
func TestEpmdAnswers(t *testing.T) {
	cases := []struct {
		name   string
		answer func(name string) []byte
		result Result
		err    error
	}{
		{"not registered", func(string) []byte { return []byte{epmdPort2Resp, 1} }, Unreachable, ErrNotRegistered},
		{"another message", func(string) []byte { return []byte{121, 0} }, ProtocolError, ErrProtocol},
		{"another name", func(string) []byte { return port2Resp("m", 1234, 6, 6) }, ProtocolError, ErrProtocol},
		{"version 5 only", func(n string) []byte { return port2Resp(n, 1234, 5, 5) }, ProtocolError, ErrProtocol},
		{"port 0", func(n string) []byte { return port2Resp(n, 0, 6, 6) }, ProtocolError, ErrProtocol},
		{"truncated", func(n string) []byte { return port2Resp(n, 1234, 6, 6)[:9] }, Unreachable, io.ErrUnexpectedEOF},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			epmd := fakeEpmd(t, tc.answer)
			c, err := NewChecker(CheckerConfig{Cookie: []byte("c"), EpmdPort: epmd})
			if err != nil {
				t.Fatal(err)
			}
			if v := c.Check(context.Background(), "n@127.0.0.1", loopback); v.Result != tc.result || !errors.Is(v.Err, tc.err) {
				t.Fatalf("verdict %+v, want %v with %v", v, tc.result, tc.err)
			}
		})
	}
}
