//go:build unix

package mcgossip

import "syscall"

// openNoBlock makes opening a cookie_file return at once, whatever it is:
// a named pipe without a writer, or a terminal, would block or take the
// process's controlling terminal.
const openNoBlock = syscall.O_NONBLOCK | syscall.O_NOCTTY
