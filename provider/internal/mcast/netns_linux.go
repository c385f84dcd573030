package mcast

import (
	"fmt"
	"net"
	"os"
	"sync"

	"golang.org/x/sys/unix"
)

// netnsHandle pins the network namespace a Transport was opened in, so
// that its interface scanning goroutine looks at that namespace's
// interfaces even when Open ran on a thread switched into another
// namespace than the rest of the process (a lab host).
//
// Its users run on goroutines of their own (Receiver.Dial,
// Transport.HostAddrs) and may race with Close: mu keeps close from
// closing the descriptor while enter uses it (a reused descriptor number
// would be another file), and enter fails once it is closed.
type netnsHandle struct {
	mu       sync.RWMutex
	fd       int // -1 once closed
	dev, ino uint64
}

// currentNetns opens the calling thread's network namespace.
func currentNetns() (*netnsHandle, error) {
	fd, err := unix.Open("/proc/thread-self/ns/net", unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		// Kernels before 3.17 have no /proc/thread-self.
		fd, err = unix.Open(fmt.Sprintf("/proc/self/task/%d/ns/net", unix.Gettid()), unix.O_RDONLY|unix.O_CLOEXEC, 0)
	}
	if err != nil {
		return nil, fmt.Errorf("opening the network namespace: %w", err)
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("opening the network namespace: %w", os.NewSyscallError("fstat", err))
	}
	return &netnsHandle{fd: fd, dev: st.Dev, ino: st.Ino}, nil
}

// enter switches the calling thread, which must be locked to its
// goroutine, to the namespace. It reports whether it switched: not when
// the thread is already there (so no privilege is needed then). A
// switched thread must never be unlocked. After close it fails with an
// error that wraps net.ErrClosed.
func (h *netnsHandle) enter() (switched bool, err error) {
	h.mu.RLock()
	defer h.mu.RUnlock()
	if h.fd < 0 {
		return false, fmt.Errorf("entering the engine's network namespace: %w", net.ErrClosed)
	}
	var st unix.Stat_t
	if err := unix.Stat("/proc/thread-self/ns/net", &st); err == nil && st.Dev == h.dev && st.Ino == h.ino {
		return false, nil
	}
	if err := unix.Setns(h.fd, unix.CLONE_NEWNET); err != nil {
		return true, fmt.Errorf("entering the engine's network namespace: %w", os.NewSyscallError("setns", err))
	}
	return true, nil
}

// close releases the namespace, once no enter uses it.
func (h *netnsHandle) close() {
	if h == nil {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.fd >= 0 {
		unix.Close(h.fd)
		h.fd = -1
	}
}
