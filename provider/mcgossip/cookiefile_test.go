//go:build unix

package mcgossip_test

import (
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mcgossip/go-discover-mcgossip/provider/mcgossip"
)

// TestParseConfigCookieFileNotRegular: a named pipe, a socket or any file
// that is not a regular file is refused at once, without blocking (a named
// pipe without a writer used to hang the caller), naming the key.
func TestParseConfigCookieFileNotRegular(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(dir, "sock")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	for path, want := range map[string]string{fifo: "a named pipe (FIFO)", sock: "a socket"} {
		done := make(chan error, 1)
		go func() {
			_, err := mcgossip.ParseConfig(map[string]string{"cookie_file": path})
			done <- err
		}()
		select {
		case err := <-done:
			if err == nil || !strings.Contains(err.Error(), `invalid cookie_file "`+path+`"`) {
				t.Errorf("cookie_file=%s: error %v; want one naming the key", path, err)
			} else if !strings.Contains(err.Error(), "must be a regular file, not "+want) && !strings.Contains(err.Error(), "must be a readable file") {
				t.Errorf("cookie_file=%s: error %v; want it to say it is %s", path, err, want)
			}
		case <-time.After(5 * time.Second):
			// Unblock the open so the goroutine ends.
			if f, err := os.OpenFile(path, os.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
				f.Close()
			}
			t.Errorf("cookie_file=%s: ParseConfig still blocked after 5s", path)
		}
	}
}

// TestProviderCookieFileStat: the provider reads a cookie_file once and
// then only stats it: it reads it again (and replaces its engine when the
// cookies changed) when the file's identity, size or modification time
// changed, and only then.
func TestProviderCookieFileStat(t *testing.T) {
	checkNoLeak(t)
	const oldC, newC = "stat-old-cookie-5b1c9e2a7f", "stat-new-cookie-0d4a8c3e6b"
	port := nextPort()
	for cookie, addr := range map[string]string{oldC: "192.0.2.31", newC: "192.0.2.32"} {
		c := loConfig(port, true)
		c.Cookie, c.Advertise = cookie, netip.MustParseAddr(addr)
		startLo(t, c, nil)
	}
	file := writeFile(t, oldC+"\n")
	first, err := os.Stat(file)
	if err != nil {
		t.Fatal(err)
	}
	p := &mcgossip.Provider{}
	defer p.Close()
	args := map[string]string{"port": strconv.Itoa(port), "cookie_file": file, "expect": "1", "announce": "false"}
	lookup := func(what string, want ...string) {
		t.Helper()
		if got, err := p.Addrs(args, nil); err != nil || !slices.Equal(got, want) {
			t.Fatalf("%s: Addrs = %q, %v; want %q", what, got, err, want)
		}
	}
	lookup("first read", "192.0.2.31")

	// The same file, size and modification time, but blank inside: not
	// read again, so the key stays.
	writeFileAt(t, file, strings.Repeat(" ", len(oldC))+"\n")
	if err := os.Chtimes(file, first.ModTime(), first.ModTime()); err != nil {
		t.Fatal(err)
	}
	lookup("unchanged stat", "192.0.2.31")

	// A new modification time: read again, and refused.
	later := first.ModTime().Add(time.Second)
	if err := os.Chtimes(file, later, later); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Addrs(args, nil); err == nil || !strings.Contains(err.Error(), `invalid cookie_file "`+file+`"`) {
		t.Fatalf("after a change of mtime: %v; want the blank file refused", err)
	}

	// Rotated by renaming a new file over it (another inode), with the
	// same size and modification time as the first: read again.
	next := filepath.Join(filepath.Dir(file), "next")
	writeFileAt(t, next, newC+"\n")
	if err := os.Chtimes(next, first.ModTime(), first.ModTime()); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(next, file); err != nil {
		t.Fatal(err)
	}
	lookup("rotated", "192.0.2.32")
	if p.Engines() != 1 {
		t.Errorf("%d engines, want 1: the new one replaces the old", p.Engines())
	}
}
