package mcgossip

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"slices"
	"strings"
	"sync"
)

// cookieFile is what was read from a cookie_file: its cookies, and the
// file's identity, size and modification time when they were read.
type cookieFile struct {
	cookies []string
	info    fs.FileInfo
}

// readCookies returns the cookies of the cookie file at path (see
// readCookieFile).
func readCookies(path string) ([]string, error) {
	f, err := readCookieFile(path)
	return f.cookies, err
}

// readCookieFile reads a cookie file: its non-empty lines, trimmed of
// surrounding white space, the first one primary. The file must be a
// regular file of at most maxCookieFile bytes: it is opened without
// blocking (a named pipe or a device would otherwise hang the caller,
// whatever its timeout) and checked with fstat before anything is read.
// Errors never show a cookie.
func readCookieFile(path string) (cookieFile, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|openNoBlock, 0)
	if err != nil {
		return cookieFile{}, fmt.Errorf("must be a readable file: %w", err)
	}
	defer f.Close()
	info, err := f.Stat()
	switch {
	case err != nil:
		return cookieFile{}, fmt.Errorf("must be a readable file: %w", err)
	case !info.Mode().IsRegular():
		return cookieFile{}, fmt.Errorf("must be a regular file, not %s", fileKind(info.Mode()))
	case info.Size() > maxCookieFile:
		return cookieFile{}, fmt.Errorf("is %d bytes long; must be at most %d bytes: one cookie a line", info.Size(), maxCookieFile)
	}
	data, err := io.ReadAll(io.LimitReader(f, maxCookieFile+1))
	if err != nil {
		return cookieFile{}, fmt.Errorf("must be a readable file: %w", err)
	}
	if len(data) > maxCookieFile { // it grew since fstat
		return cookieFile{}, fmt.Errorf("must be at most %d bytes: one cookie a line", maxCookieFile)
	}
	var cookies []string
	for line := range bytes.SplitSeq(data, []byte("\n")) {
		s := strings.TrimSpace(string(line))
		if s == "" || slices.Contains(cookies, s) {
			continue
		}
		if err := checkCookie(s); err != nil {
			return cookieFile{}, fmt.Errorf("cookie %d of the file (value not shown) %w", len(cookies)+1, err)
		}
		cookies = append(cookies, s)
	}
	switch {
	case len(cookies) == 0:
		return cookieFile{}, errors.New("must hold a cookie on its first non-empty line; the file is empty or blank")
	case len(cookies) > MaxCookies:
		return cookieFile{}, fmt.Errorf("holds %d cookies; at most %d are accepted (the current one and %d older ones)", len(cookies), MaxCookies, MaxCookies-1)
	}
	return cookieFile{cookies: cookies, info: info}, nil
}

// fileKind names what a file that is not a regular file is.
func fileKind(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "a directory"
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe (FIFO)"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeDevice != 0:
		return "a device"
	}
	return "a special file (" + m.Type().String() + ")"
}

// unchanged reports whether info (a fresh stat of the file's path)
// describes the file f was read from, unchanged: the same file (device and
// inode), size and modification time.
func (f cookieFile) unchanged(info fs.FileInfo) bool {
	return f.info != nil && os.SameFile(f.info, info) && f.info.Size() == info.Size() && f.info.ModTime().Equal(info.ModTime())
}

// cookieFiles remembers the cookie files a Provider read, so that each
// Addrs call costs one stat per file, and a file is read again only when
// the stat says it changed (a rotation, in place or by renaming a new
// file over it).
type cookieFiles struct {
	mu    sync.Mutex
	files map[string]cookieFile
}

// read returns the cookies of the file at path, from memory while the
// file is unchanged.
func (c *cookieFiles) read(path string) ([]string, error) {
	info, statErr := os.Stat(path)
	c.mu.Lock()
	defer c.mu.Unlock()
	if old, ok := c.files[path]; ok && statErr == nil && old.unchanged(info) {
		return old.cookies, nil
	}
	f, err := readCookieFile(path)
	if err != nil {
		delete(c.files, path)
		return nil, err
	}
	if c.files == nil {
		c.files = make(map[string]cookieFile)
	}
	c.files[path] = f
	return f.cookies, nil
}
