// Package fakeplugin holds what the tests of the plugin package (root
// module) and of test/plugintest (test module) share: a fake provider
// whose Addrs does what its "mode" argument says, and the helper-process
// pattern of go-plugin's own tests, in which the test binary doubles as the
// plugin (and as a host) it needs.
package fakeplugin

import (
	"errors"
	"fmt"
	"io"
	"log"
	"os"
	"os/exec"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// Fake is the provider the helper plugin serves; args["mode"] picks what
// Addrs does.
type Fake struct {
	mu      sync.Mutex
	ua      string
	closing chan struct{}
	once    sync.Once
}

// NewFake returns a Fake.
func NewFake() *Fake { return &Fake{closing: make(chan struct{})} }

// invalidParam is a configuration error with the errdefs marker method.
type invalidParam struct{ msg string }

// Error returns the message.
func (e invalidParam) Error() string { return e.msg }

// InvalidParameter marks a configuration error (errdefs).
func (e invalidParam) InvalidParameter() {}

// Addrs does what args["mode"] says.
func (f *Fake) Addrs(args map[string]string, l *log.Logger) ([]string, error) {
	if l == nil {
		l = log.New(io.Discard, "", 0)
	}
	switch args["mode"] {
	case "", "ok":
		return strings.Fields(args["addrs"]), nil
	case "pid":
		return []string{strconv.Itoa(os.Getpid())}, nil
	case "args":
		var kv []string
		for k, v := range args {
			kv = append(kv, k+"="+v)
		}
		sort.Strings(kv)
		return kv, nil
	case "mtls": // go-plugin hands the host's certificate over with AutoMTLS
		return []string{strconv.FormatBool(os.Getenv("PLUGIN_CLIENT_CERT") != "")}, nil
	case "ua":
		f.mu.Lock()
		defer f.mu.Unlock()
		return []string{f.ua}, nil
	case "invalid":
		return nil, fmt.Errorf("discover-fake: %w", invalidParam{`invalid port "70000": must be an integer from 1 to 65535`})
	case "fail":
		return nil, errors.New("discover-fake: no peer answered")
	case "log":
		tag := args["tag"]
		l.Printf("[TRACE] discover-fake: trace %s", tag)
		l.Printf("[DEBUG] discover-fake: debug %s", tag)
		l.Printf("[INFO] discover-fake: info %s", tag)
		l.Printf("[WARN] discover-fake: warn %s", tag)
		l.Printf("[ERROR] discover-fake: error %s", tag)
		return []string{tag}, nil
	case "block":
		<-f.closing
		return nil, errors.New("discover-fake: closed")
	case "crash":
		panic("fake crash")
	case "fork":
		pid, err := forkLinger()
		if err != nil {
			return nil, err
		}
		return []string{strconv.Itoa(pid)}, nil
	}
	return nil, invalidParam{fmt.Sprintf("discover-fake: unknown mode %q", args["mode"])}
}

// LogLines are the lines Addrs logs in mode "log" with args["tag"] = tag.
func LogLines(tag string) []string {
	var out []string
	for _, l := range []string{"TRACE", "DEBUG", "INFO", "WARN", "ERROR"} {
		out = append(out, fmt.Sprintf("[%s] discover-fake: %s %s", l, strings.ToLower(l), tag))
	}
	return out
}

// Help returns a short help text.
func (f *Fake) Help() string { return "Fake:\n\n    provider: \"fake\"\n" }

// SetUserAgent records s for mode=ua.
func (f *Fake) SetUserAgent(s string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.ua = s
}

// Close ends blocked calls and records the close in the state directory.
func (f *Fake) Close() error {
	f.once.Do(func() { close(f.closing) })
	RecordState("closed")
	return nil
}

// Plain is a provider with neither SetUserAgent nor Close.
type Plain struct{}

// Addrs returns one fixed address.
func (Plain) Addrs(map[string]string, *log.Logger) ([]string, error) {
	return []string{"192.0.2.1"}, nil
}

// Help returns a short help text.
func (Plain) Help() string { return "Plain:\n" }

// stdio holds the plugin's own stdout and stderr (file descriptors 1 and
// 2, the pipes go-plugin reads) as files, made once: a second *os.File of
// a descriptor would close it when collected.
var stdio = sync.OnceValue(func() [2]*os.File {
	return [2]*os.File{os.NewFile(1, "stdout"), os.NewFile(2, "stderr")}
})

// forkLinger starts a child that inherits the plugin's stdout and stderr
// and outlives the call (role "linger"), and returns its process id.
func forkLinger() (int, error) {
	exe, err := os.Executable()
	if err != nil {
		return 0, err
	}
	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(), EnvHelper+"=linger")
	cmd.Stdout, cmd.Stderr = stdio()[0], stdio()[1]
	if err := cmd.Start(); err != nil {
		return 0, err
	}
	go cmd.Wait() // reaped when it ends
	return cmd.Process.Pid, nil
}
