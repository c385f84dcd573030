// Package keyfile reads the small files that hold the providers' secrets
// (mcgossip's cookie_file, libcluster's secret_file and
// erlang_cookie_file) so that a path naming anything but a regular file is
// refused at once: opening never blocks (a named pipe without a writer,
// a terminal), the kind and the size are checked with fstat on the open
// file (no stat-then-open race with a rename), and no more than the limit
// is ever read (a file that grows meanwhile). Its errors never show the
// file's content.
package keyfile

import (
	"fmt"
	"io"
	"io/fs"
	"os"
)

// Read returns the content of the regular file at path, which must be at
// most limit bytes long, and the file's fstat (for its mode, identity,
// size and modification time). Its errors say what the file must be:
// "must be a readable file: ...", "must be a regular file, not a named
// pipe (FIFO)", "is N bytes long; must be at most L bytes".
func Read(path string, limit int64) ([]byte, fs.FileInfo, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|openNoBlock, 0)
	if err != nil {
		return nil, nil, fmt.Errorf("must be a readable file: %w", err)
	}
	defer f.Close()
	info, err := f.Stat()
	switch {
	case err != nil:
		return nil, nil, fmt.Errorf("must be a readable file: %w", err)
	case !info.Mode().IsRegular():
		return nil, nil, fmt.Errorf("must be a regular file, not %s", kind(info.Mode()))
	case info.Size() > limit:
		return nil, nil, fmt.Errorf("is %d bytes long; must be at most %d bytes", info.Size(), limit)
	}
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, nil, fmt.Errorf("must be a readable file: %w", err)
	}
	if int64(len(data)) > limit { // it grew since fstat
		return nil, nil, fmt.Errorf("must be at most %d bytes", limit)
	}
	return data, info, nil
}

// kind names what a file that is not a regular file is: "a directory",
// "a named pipe (FIFO)", "a socket", "a device", or "a special file".
func kind(m fs.FileMode) string {
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
