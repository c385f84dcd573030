//go:build unix

package keyfile

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// readBounded calls Read in a goroutine and fails the test if it has not
// returned within 5 s; it then opens the path for writing without blocking
// (a named pipe's open needs a writer), so the goroutine ends.
func readBounded(t *testing.T, path string, limit int64) ([]byte, error) {
	t.Helper()
	type result struct {
		data []byte
		err  error
	}
	done := make(chan result, 1)
	go func() {
		data, _, err := Read(path, limit)
		done <- result{data, err}
	}()
	select {
	case r := <-done:
		return r.data, r.err
	case <-time.After(5 * time.Second):
		if f, err := os.OpenFile(path, os.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
			f.Close()
		}
		<-done
		t.Fatalf("Read(%s) still blocked after 5s", path)
		return nil, nil
	}
}

// TestReadRefuses: anything but a regular file within the limit is refused
// at once, saying what it is; a named pipe without a writer does not block.
func TestReadRefuses(t *testing.T) {
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
	big := filepath.Join(dir, "big")
	if err := os.WriteFile(big, []byte(strings.Repeat("x", 101)), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ path, want string }{
		{fifo, "must be a regular file, not a named pipe (FIFO)"},
		{sock, "must be a readable file"}, // open(2) of a socket fails: ENXIO
		{dir, "must be a regular file, not a directory"},
		{os.DevNull, "must be a regular file, not a device"},
		{big, "is 101 bytes long; must be at most 100 bytes"},
		{filepath.Join(dir, "missing"), "must be a readable file"},
	} {
		if _, err := readBounded(t, tc.path, 100); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Read(%s): %v; want an error saying %q", tc.path, err, tc.want)
		}
	}
}

// TestRead: a regular file's content and its fstat.
func TestRead(t *testing.T) {
	path := filepath.Join(t.TempDir(), "key")
	if err := os.WriteFile(path, []byte("secret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	data, info, err := Read(path, 7)
	if err != nil || string(data) != "secret\n" {
		t.Fatalf("Read = %q, %v", data, err)
	}
	if info.Mode().Perm() != 0o600 || info.Size() != 7 {
		t.Errorf("fstat: mode %v, size %d", info.Mode(), info.Size())
	}
}
