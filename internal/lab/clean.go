package lab

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// namePattern matches the namespaces labs make and captures the pid of
// the process that made them.
var namePattern = regexp.MustCompile(`^mcg([0-9]+)-`)

// CleanStale deletes the namespaces that labs of dead processes left (a
// run killed by SIGKILL, a test binary killed by its timeout), after
// killing any process still inside them. It returns the deleted names.
// New and Start call it; `make clean` runs it through internal/lab/cmd/labclean.
func CleanStale() ([]string, error) {
	return clean(func(pid int) bool { return !alive(pid) })
}

// CleanAll deletes every lab namespace, those of running processes too.
// It is for a person cleaning up by hand; tests must not call it.
func CleanAll() ([]string, error) {
	return clean(func(int) bool { return true })
}

// clean deletes the lab namespaces whose pid (in the name) matches.
func clean(match func(pid int) bool) ([]string, error) {
	names, err := labNamespaces("")
	if err != nil {
		return nil, err
	}
	var doomed []string
	for _, n := range names {
		pid, _ := strconv.Atoi(namePattern.FindStringSubmatch(n)[1])
		if match(pid) {
			doomed = append(doomed, n)
		}
	}
	if len(doomed) == 0 {
		return nil, nil
	}
	return doomed, remove(doomed)
}

// teardown deletes every namespace whose name starts with prefix.
func teardown(prefix string) error {
	names, err := labNamespaces(prefix)
	if err != nil {
		return err
	}
	return remove(names)
}

// labNamespaces lists the lab namespaces whose names start with prefix.
func labNamespaces(prefix string) ([]string, error) {
	entries, err := os.ReadDir(netnsDir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("lab: listing namespaces: %w", err)
	}
	var out []string
	for _, e := range entries {
		if n := e.Name(); namePattern.MatchString(n) && strings.HasPrefix(n, prefix) {
			out = append(out, n)
		}
	}
	return out, nil
}

// remove kills the processes in the named namespaces and deletes them.
func remove(names []string) error {
	if len(names) == 0 {
		return nil
	}
	ids := nsIDs(names)
	killIn(ids)
	var b strings.Builder
	for _, n := range names {
		fmt.Fprintf(&b, "netns del %s\n", n)
	}
	// -force: go on past a namespace someone else deleted meanwhile.
	err := run(exec.Command("ip", "-force", "-batch", "-"), b.String())
	// Again, for a process that was entering a namespace (ip netns exec
	// with the namespace open) during the first sweep.
	killIn(ids)
	var left []string
	for _, n := range names {
		if _, serr := os.Stat(netnsDir + n); serr == nil {
			left = append(left, n)
		}
	}
	if len(left) > 0 {
		return fmt.Errorf("lab: namespaces left after deleting: %s: %w", strings.Join(left, " "), err)
	}
	return nil
}

// nsID identifies a namespace as stat shows it.
type nsID struct{ dev, ino uint64 }

// nsIDs returns the identities of the named namespaces.
func nsIDs(names []string) map[nsID]bool {
	ids := map[nsID]bool{}
	for _, n := range names {
		var st unix.Stat_t
		if unix.Stat(netnsDir+n, &st) == nil {
			ids[nsID{st.Dev, st.Ino}] = true
		}
	}
	return ids
}

// killIn sends SIGKILL to every process (but this one) whose network
// namespace is one of ids, so no process outlives its lab.
func killIn(ids map[nsID]bool) {
	if len(ids) == 0 {
		return
	}
	procs, err := os.ReadDir("/proc")
	if err != nil {
		return
	}
	self := os.Getpid()
	for _, p := range procs {
		pid, err := strconv.Atoi(p.Name())
		if err != nil || pid == self {
			continue
		}
		var st unix.Stat_t
		if unix.Stat("/proc/"+p.Name()+"/ns/net", &st) != nil {
			continue
		}
		if ids[nsID{st.Dev, st.Ino}] {
			_ = unix.Kill(pid, unix.SIGKILL)
		}
	}
}

// alive reports whether a process with this pid exists.
func alive(pid int) bool {
	if pid <= 0 {
		return false
	}
	err := unix.Kill(pid, 0)
	return err == nil || errors.Is(err, unix.EPERM)
}
