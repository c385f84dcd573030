//go:build linux

package plugin_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"log"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/mcgossip/go-discover-mcgossip/internal/fakeplugin"
	"github.com/mcgossip/go-discover-mcgossip/plugin"
)

// pidOf asks the fake plugin for its process id.
func pidOf(t *testing.T, rp *plugin.RemoteProvider) int {
	t.Helper()
	got, err := rp.Addrs(map[string]string{"mode": "pid"}, nil)
	if err != nil || len(got) != 1 {
		t.Fatalf("Addrs(mode=pid) = %q, %v", got, err)
	}
	pid, err := strconv.Atoi(got[0])
	if err != nil {
		t.Fatal(err)
	}
	return pid
}

// TestSIGTERM: a plugin stopped with SIGTERM closes its providers and
// exits; the next call starts a new one.
func TestSIGTERM(t *testing.T) {
	t.Parallel()
	e := fakeplugin.NewEnv(t)
	rp := e.Provider("serve")
	pid := pidOf(t, rp)
	fd, err := unix.PidfdOpen(pid, 0)
	if err != nil {
		t.Skipf("pidfd_open: %v", err)
	}
	defer unix.Close(fd)
	if err := syscall.Kill(pid, syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := waitPidfd(fd, 2*time.Second); err != nil {
		t.Fatalf("the plugin did not exit within 2s of SIGTERM: %v", err)
	}
	pidAfterExit(t, rp, pid, nil)
	if err := rp.Close(); err != nil {
		t.Fatal(err)
	}
	if got := e.States(); !slices.Contains(got, "closed."+strconv.Itoa(pid)) {
		t.Fatalf("the plugin did not close its providers on SIGTERM: states %v", got)
	}
}

// TestCloseWithChild: Close returns within a bound even when the plugin
// forked a long-lived child that inherited its stdout and stderr (which
// go-plugin reads to the end before it reaps the plugin), and the child
// goes with the plugin.
func TestCloseWithChild(t *testing.T) {
	t.Parallel()
	e := fakeplugin.NewEnv(t)
	rp := e.Provider("serve")
	got, err := rp.Addrs(map[string]string{"mode": "fork"}, nil)
	if err != nil || len(got) != 1 {
		t.Fatalf("Addrs(mode=fork) = %q, %v", got, err)
	}
	child, err := strconv.Atoi(got[0])
	if err != nil {
		t.Fatal(err)
	}
	fd, err := unix.PidfdOpen(child, 0)
	if err != nil {
		t.Skipf("pidfd_open: %v", err)
	}
	defer unix.Close(fd)
	const bound = 6 * time.Second
	start := time.Now()
	closed := make(chan struct{})
	go func() {
		_ = rp.Close()
		close(closed)
	}()
	select {
	case <-closed:
	case <-time.After(bound):
		_ = syscall.Kill(child, syscall.SIGKILL) // lets Close return
		<-closed
		t.Fatalf("Close still blocked after %v by the plugin's child", bound)
	}
	t.Logf("Close took %v", time.Since(start).Round(time.Millisecond))
	if err := waitPidfd(fd, 2*time.Second); err != nil {
		t.Errorf("the plugin's child is still alive after Close: %v", err)
	}
}

// TestRunByHand: without the handshake cookie the binary explains itself
// on stderr, writes nothing on stdout and exits 1.
func TestRunByHand(t *testing.T) {
	t.Parallel()
	e := fakeplugin.NewEnv(t)
	cmd := exec.Command(e.Exe)
	cmd.Env = append(os.Environ(), e.Vars("serve")...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 {
		t.Fatalf("exit: %v; want status 1", err)
	}
	if stdout.Len() != 0 || !strings.Contains(stderr.String(), "This binary is a plugin") {
		t.Fatalf("stdout %q, stderr %q", stdout.String(), stderr.String())
	}
}

func TestVersionMismatch(t *testing.T) {
	t.Parallel()
	e := fakeplugin.NewEnv(t)
	rp := e.Provider("serve-v2")
	_, err := rp.Addrs(map[string]string{"mode": "pid"}, nil)
	if status.Code(err) != codes.FailedPrecondition || !strings.Contains(err.Error(), "incompatible plugin") ||
		!strings.Contains(err.Error(), "Plugin version: 2") {
		t.Fatalf("Addrs error = %v (%v)", err, status.Code(err))
	}
	t.Log(err)
	// Each call tries again (the binary may have been upgraded meanwhile).
	if _, err := rp.Addrs(nil, nil); status.Code(err) != codes.FailedPrecondition {
		t.Fatalf("second Addrs error = %v", err)
	}
}

func TestChecksum(t *testing.T) {
	t.Parallel()
	e := fakeplugin.NewEnv(t)
	wrong := strings.Repeat("00", 32)
	rp := e.Provider("serve", plugin.WithSHA256(wrong))
	_, err := rp.Addrs(map[string]string{"mode": "pid"}, nil)
	if status.Code(err) != codes.FailedPrecondition || !strings.Contains(err.Error(), "checksum mismatch") ||
		!strings.Contains(err.Error(), "want "+wrong) {
		t.Fatalf("Addrs error = %v (%v)", err, status.Code(err))
	}
	t.Log(err)
	if got := e.States(); len(got) != 0 {
		t.Fatalf("the binary ran despite the mismatch: %v", got)
	}

	f, err := os.Open(e.Exe)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		t.Fatal(err)
	}
	rp = e.Provider("serve", plugin.WithSHA256(hex.EncodeToString(h.Sum(nil))))
	pidOf(t, rp)
}

// TestCrash: a plugin that dies during a call fails that call with an
// error that says so, and the next call runs a new plugin process.
func TestCrash(t *testing.T) {
	t.Parallel()
	e := fakeplugin.NewEnv(t)
	rp := e.Provider("serve")
	first := pidOf(t, rp)

	var b fakeplugin.LogBuf
	_, err := rp.Addrs(map[string]string{"mode": "crash"}, b.Logger())
	if !errors.Is(err, plugin.ErrExited) || status.Code(err) != codes.Unavailable ||
		!strings.Contains(err.Error(), "exited during Addrs (exit status 2)") {
		t.Fatalf("Addrs error = %v (%v)", err, status.Code(err))
	}
	if !strings.Contains(b.String(), "panic: fake crash") {
		t.Fatalf("the caller's logger did not get the panic:\n%s", b.String())
	}
	t.Logf("%v; the caller's logger got:\n%s", err, b.String())
	if second := pidOf(t, rp); second == first {
		t.Fatalf("the same plugin (pid %d) answered after the crash", first)
	}
}

// TestKilledWhileIdle: a plugin that died between calls is replaced
// silently (with a warning in the log).
func TestKilledWhileIdle(t *testing.T) {
	t.Parallel()
	e := fakeplugin.NewEnv(t)
	rp := e.Provider("serve")
	first := pidOf(t, rp)
	if err := syscall.Kill(first, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	var b fakeplugin.LogBuf
	pidAfterExit(t, rp, first, b.Logger())
	t.Logf("logged:\n%s", b.String())
}

// pidAfterExit asks for the pid of the plugin after the one with pid old
// has exited, and fails unless a new plugin answers. Depending on whether
// go-plugin has reaped the old one yet, the first call either starts a new
// plugin at once, or fails as a crash (ErrExited), after which the next
// one does.
func pidAfterExit(t *testing.T, rp *plugin.RemoteProvider, old int, l *log.Logger) {
	t.Helper()
	got, err := rp.Addrs(map[string]string{"mode": "pid"}, l)
	if err != nil {
		if !errors.Is(err, plugin.ErrExited) {
			t.Fatalf("first Addrs after the plugin exited: %v", err)
		}
		t.Logf("first Addrs after the plugin exited: %v", err)
		got, err = rp.Addrs(map[string]string{"mode": "pid"}, l)
	}
	if err != nil || len(got) != 1 || got[0] == strconv.Itoa(old) {
		t.Fatalf("Addrs after the plugin (pid %d) exited = %q, %v; want a new plugin's pid", old, got, err)
	}
}

// TestDeadline: a provider that never returns costs the caller its
// timeout plus the margin, not more; the plugin stays usable, until
// three calls in a row run out of time: then it is replaced.
func TestDeadline(t *testing.T) {
	t.Parallel()
	e := fakeplugin.NewEnv(t)
	const timeout, margin = 300 * time.Millisecond, 300 * time.Millisecond
	rp := e.Provider("serve", plugin.WithTimeouts(0, margin))
	first := pidOf(t, rp)

	start := time.Now()
	_, err := rp.Addrs(map[string]string{"mode": "block", "timeout": timeout.String()}, nil)
	took := time.Since(start)
	if status.Code(err) != codes.DeadlineExceeded || !strings.Contains(err.Error(), "did not return within 600ms (timeout 300ms + margin 300ms)") {
		t.Fatalf("Addrs error = %v (%v)", err, status.Code(err))
	}
	if took < timeout+margin || took > timeout+margin+250*time.Millisecond {
		t.Fatalf("Addrs took %v; want %v (+250ms)", took, timeout+margin)
	}
	if again := pidOf(t, rp); again != first {
		t.Fatalf("the plugin was replaced after a deadline: pid %d, then %d", first, again)
	}

	// A plugin that lets three calls in a row run out of time is taken for
	// hung: the third call says so, and the next one starts a new plugin.
	for i := 1; i <= 3; i++ {
		_, err := rp.Addrs(map[string]string{"mode": "block", "timeout": timeout.String()}, nil)
		if status.Code(err) != codes.DeadlineExceeded {
			t.Fatalf("call %d: Addrs error = %v (%v)", i, err, status.Code(err))
		}
		if replaced := strings.Contains(err.Error(), "3 calls in a row"); replaced != (i == 3) {
			t.Fatalf("call %d: error %q", i, err)
		}
	}
	if again := pidOf(t, rp); again == first {
		t.Fatalf("the plugin (pid %d) was kept after 3 calls in a row ran out of time", first)
	}
}

// TestStartDeadline: a plugin that never completes the handshake fails the
// call within the call's deadline.
func TestStartDeadline(t *testing.T) {
	t.Parallel()
	e := fakeplugin.NewEnv(t)
	rp := e.Provider("hang", plugin.WithTimeouts(0, 200*time.Millisecond), plugin.WithStartTimeout(time.Second))
	start := time.Now()
	_, err := rp.Addrs(map[string]string{"timeout": "100ms"}, nil)
	took := time.Since(start)
	if status.Code(err) != codes.DeadlineExceeded || !strings.Contains(err.Error(), "did not start within 300ms") {
		t.Fatalf("Addrs error = %v (%v)", err, status.Code(err))
	}
	if took > 550*time.Millisecond {
		t.Fatalf("Addrs took %v; want about 300ms", took)
	}
}

// TestHostKilled: when the host dies by SIGKILL, the plugin notices (its
// parent changes), closes its providers and exits within a second.
func TestHostKilled(t *testing.T) {
	e := fakeplugin.NewEnv(t)
	// Become the subreaper of our descendants, so that the orphaned plugin
	// is re-parented to this process and can be waited for.
	if err := setSubreaper(true); err != nil {
		t.Skipf("cannot become a child subreaper: %v", err)
	}
	t.Cleanup(func() { _ = setSubreaper(false) })

	host := exec.Command(e.Exe)
	host.Env = append(os.Environ(), e.Vars("host")...)
	host.Stderr = os.Stderr
	stdin, err := host.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	defer stdin.Close()
	stdout, err := host.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := host.Start(); err != nil {
		t.Fatal(err)
	}
	line := make(chan string, 1)
	go func() {
		b := make([]byte, 64)
		n, _ := io.ReadAtLeast(stdout, b, 1)
		line <- string(b[:n])
	}()
	var pid int
	select {
	case l := <-line:
		if pid, err = strconv.Atoi(strings.TrimSpace(strings.TrimPrefix(l, "pid "))); err != nil {
			_ = host.Process.Kill()
			_ = host.Wait()
			t.Fatalf("host said %q", l)
		}
	case <-time.After(10 * time.Second):
		_ = host.Process.Kill()
		_ = host.Wait()
		t.Fatal("the host did not report its plugin")
	}

	if err := host.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = host.Wait()
	// The host is dead and the plugin re-parented only once the kernel
	// tore the host down (slow for a -race binary): count from there.
	killed := time.Now()

	exited := make(chan error, 1)
	go func() {
		var ws syscall.WaitStatus
		_, err := syscall.Wait4(pid, &ws, 0, nil)
		for errors.Is(err, syscall.EINTR) {
			_, err = syscall.Wait4(pid, &ws, 0, nil)
		}
		if err == nil && !(ws.Exited() && ws.ExitStatus() == 0) {
			err = errors.New("plugin exit status " + strconv.Itoa(int(ws)))
		}
		exited <- err
	}()
	select {
	case err := <-exited:
		if err != nil {
			t.Fatalf("waiting for the plugin: %v", err)
		}
		t.Logf("plugin exited %v after its host was killed", time.Since(killed).Round(time.Millisecond))
	case <-time.After(time.Second):
		_ = syscall.Kill(pid, syscall.SIGKILL)
		<-exited
		t.Fatal("the plugin outlived its SIGKILLed host by more than a second")
	}
	if got := e.States(); !slices.Contains(got, "closed."+strconv.Itoa(pid)) {
		t.Fatalf("the orphaned plugin did not close its providers: %v", got)
	}
}

// waitPidfd waits until the process of a pidfd has exited (the pidfd polls
// readable), at most d.
func waitPidfd(fd int, d time.Duration) error {
	deadline := time.Now().Add(d)
	for {
		left := time.Until(deadline)
		if left <= 0 {
			return errors.New("timed out")
		}
		fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
		n, err := unix.Poll(fds, int(left.Milliseconds())+1)
		switch {
		case errors.Is(err, unix.EINTR):
			continue
		case err != nil:
			return err
		case n == 1:
			return nil
		}
	}
}

// setSubreaper makes this process the reaper of its orphaned descendants.
func setSubreaper(on bool) error {
	v := 0
	if on {
		v = 1
	}
	return unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, uintptr(v), 0, 0, 0)
}
