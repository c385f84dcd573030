//go:build unix

package keyfile

import "syscall"

// openNoBlock makes opening a key file return at once, whatever it is: a
// named pipe without a writer would block open(2), and a terminal would
// become the process's controlling terminal.
const openNoBlock = syscall.O_NONBLOCK | syscall.O_NOCTTY
