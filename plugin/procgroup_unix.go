//go:build unix

package plugin

import (
	"os/exec"
	"syscall"
)

// ownProcessGroup starts cmd as the leader of a process group of its own,
// so that the plugin and every child it forks can be killed together.
func ownProcessGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
}

// killProcessGroup sends SIGKILL to the process group of the plugin whose
// process id is pid (its group id, see ownProcessGroup). A group that is
// gone already is no error.
func killProcessGroup(pid int) {
	_ = syscall.Kill(-pid, syscall.SIGKILL)
}
