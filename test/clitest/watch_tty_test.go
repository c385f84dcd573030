package clitest

import (
	"fmt"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/mcgossip/go-discover-mcgossip/internal/lab"
)

// openPTY opens a pseudo-terminal pair of rows x cols.
func openPTY(t *testing.T, rows, cols uint16) (master, tty *os.File) {
	t.Helper()
	m, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY|syscall.O_CLOEXEC, 0)
	if err != nil {
		t.Skipf("no pseudo-terminal: %v", err)
	}
	if err := unix.IoctlSetPointerInt(int(m.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		m.Close()
		t.Fatalf("unlockpt: %v", err)
	}
	n, err := unix.IoctlGetInt(int(m.Fd()), unix.TIOCGPTN)
	if err != nil {
		m.Close()
		t.Fatalf("ptsname: %v", err)
	}
	s, err := os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|syscall.O_NOCTTY|syscall.O_CLOEXEC, 0)
	if err != nil {
		m.Close()
		t.Fatalf("open pts: %v", err)
	}
	if err := unix.IoctlSetWinsize(int(s.Fd()), unix.TIOCSWINSZ, &unix.Winsize{Row: rows, Col: cols}); err != nil {
		t.Fatalf("set window size: %v", err)
	}
	return m, s
}

// screen collects what a program writes to a terminal.
type screen struct {
	mu      sync.Mutex
	buf     strings.Builder
	changed chan struct{}
}

// String returns everything written so far.
func (s *screen) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.String()
}

// waitFor waits until the output written since mark contains every one of
// subs, and returns the new mark.
func (s *screen) waitFor(t *testing.T, mark int, d time.Duration, subs ...string) int {
	t.Helper()
	deadline := time.After(d)
	for {
		out := s.String()
		if mark > len(out) {
			mark = len(out)
		}
		ok := true
		for _, sub := range subs {
			ok = ok && strings.Contains(out[mark:], sub)
		}
		if ok {
			return len(out)
		}
		select {
		case <-s.changed:
		case <-deadline:
			t.Fatalf("the terminal did not show %q within %v; it shows:\n%s", subs, d, out[mark:])
		}
	}
}

// TestWatchTerminal: on a terminal, watch draws a table of the peers and
// redraws it in place (cursor up, clear) as a peer joins and leaves; Ctrl-C
// (SIGINT) stops it with exit 0 and the cursor shown again.
func TestWatchTerminal(t *testing.T) {
	l := lab.New(t, 2)
	h := l.Hosts()
	cookie := keygen(t)
	master, tty := openPTY(t, 30, 100)
	defer master.Close()

	ctx := t.Context()
	cmd := command(ctx, t, h[1], "watch", "-log-level", "info", "cookie="+cookie)
	cmd.Stdout = tty
	errs := &syncBuffer{}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	tty.Close() // the child has its copy; EOF (EIO) on master when it exits
	scr := &screen{changed: make(chan struct{}, 1)}
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		b := make([]byte, 4096)
		for {
			n, err := master.Read(b)
			if n > 0 {
				scr.mu.Lock()
				scr.buf.Write(b[:n])
				scr.mu.Unlock()
				select {
				case scr.changed <- struct{}{}:
				default:
				}
			}
			if err != nil {
				return
			}
		}
	}()
	go func() {
		defer wg.Done()
		scanLines(stderr, errs, make(chan string)) // copy to errs
	}()
	exited := make(chan error, 1)
	go func() { wg.Wait(); exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-exited
	})

	mark := scr.waitFor(t, 0, 10*time.Second, "ADDRESS", "(no peer yet)")
	a := startAgent(t, h[0], "cookie="+cookie, "name=node-a", "interval=1s")
	addr := h[0].Addr.String()
	mark = scr.waitFor(t, mark, 10*time.Second, "\x1b[", "1 live peer", addr, "node-a", "alive")
	if code, _ := a.signal(syscall.SIGTERM, 3*time.Second); code != 0 {
		t.Fatalf("agent exit %d", code)
	}
	scr.waitFor(t, mark, 5*time.Second, "0 live peers", addr, "left")

	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		exited <- err // for the cleanup
		if err != nil {
			t.Fatalf("watch on SIGINT: %v; stderr:\n%s", err, errs)
		}
	case <-time.After(3 * time.Second):
		t.Fatalf("watch did not exit within 3s of SIGINT")
	}
	if out := scr.String(); !strings.HasSuffix(out, "\x1b[?25h") {
		t.Errorf("watch did not show the cursor again; output ends %q", out[max(0, len(out)-40):])
	}
}
