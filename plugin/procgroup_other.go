//go:build !unix

package plugin

import "os/exec"

// ownProcessGroup does nothing where there are no process groups.
func ownProcessGroup(*exec.Cmd) {}

// killProcessGroup does nothing where there are no process groups: only
// go-plugin's own kill of the plugin process applies.
func killProcessGroup(int) {}
