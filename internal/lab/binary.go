package lab

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// Module is the import path of the binary Binary builds.
const Module = "github.com/mcgossip/go-discover-mcgossip"

// BinaryEnv names an environment variable that, when set, gives the path
// of a go-discover-mcgossip binary for Binary to return instead of
// building one (to test a release build, or to save the build).
const BinaryEnv = "MCGOSSIP_BINARY"

var binary struct {
	once sync.Once
	path string
	err  error
}

// Binary builds the go-discover-mcgossip command once per process and
// returns the path of the executable; later calls return the same path.
// The build runs `go build -o <dir>/go-discover-mcgossip` for Module in
// the repository's root, with dir a temporary directory named after this
// process (mcg-bin-<pid>) that the next process removes once this one is
// gone. When MCGOSSIP_BINARY is set, Binary returns that path instead. It
// fails the test when the build fails.
func Binary(tb testing.TB) string {
	tb.Helper()
	binary.once.Do(func() {
		binary.path, binary.err = buildBinary()
	})
	if binary.err != nil {
		tb.Fatalf("lab: building go-discover-mcgossip: %v", binary.err)
	}
	return binary.path
}

func buildBinary() (string, error) {
	if p := os.Getenv(BinaryEnv); p != "" {
		abs, err := filepath.Abs(p)
		if err != nil {
			return "", err
		}
		if _, err := os.Stat(abs); err != nil {
			return "", fmt.Errorf("%s=%q: %w", BinaryEnv, p, err)
		}
		return abs, nil
	}
	removeStaleBinaries()
	root, err := RepoRoot()
	if err != nil {
		return "", err
	}
	dir := filepath.Join(os.TempDir(), "mcg-bin-"+strconv.Itoa(os.Getpid()))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	out := filepath.Join(dir, "go-discover-mcgossip")
	cmd := exec.Command("go", "build", "-o", out, Module)
	cmd.Dir = root
	var msg bytes.Buffer
	cmd.Stdout, cmd.Stderr = &msg, &msg
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("go build %s: %w\n%s", Module, err, msg.Bytes())
	}
	return out, nil
}

// RepoRoot returns the directory of the go-discover-mcgossip module (the
// repository's root), as the go command resolves it from the working
// directory (a test runs in its package's directory): the root module
// itself in the root workspace, or its replacement in the test module.
func RepoRoot() (string, error) {
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", Module).Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return "", fmt.Errorf("go list -m %s: %w: %s", Module, err, bytes.TrimSpace(ee.Stderr))
		}
		return "", fmt.Errorf("go list -m %s: %w", Module, err)
	}
	dir := strings.TrimSpace(string(out))
	if dir == "" {
		return "", errors.New("not inside the go-discover-mcgossip repository")
	}
	return dir, nil
}

// removeStaleBinaries removes the build directories of processes that are
// gone.
func removeStaleBinaries() {
	dirs, _ := filepath.Glob(filepath.Join(os.TempDir(), "mcg-bin-*"))
	for _, d := range dirs {
		pid, err := strconv.Atoi(strings.TrimPrefix(filepath.Base(d), "mcg-bin-"))
		if err == nil && pid != os.Getpid() && !alive(pid) {
			_ = os.RemoveAll(d)
		}
	}
}
