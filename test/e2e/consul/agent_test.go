package consul

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mcgossip/go-discover-mcgossip/internal/lab"
)

// stopTimeout bounds how long an agent may take to exit after SIGTERM.
const stopTimeout = 30 * time.Second

// agent is one Consul agent on a lab host. Its process runs inside the
// host's namespace, and so does every connection the test makes to its
// HTTP API (127.0.0.1:8500 there).
type agent struct {
	name   string
	host   *lab.Host
	bin    string
	dir    string // data_dir
	config string // the agent's HCL file
	api    *http.Client

	cleanup func(func()) // the test's Cleanup: processes outlive subtests

	runs int // processes started so far
	cmd  *exec.Cmd
	log  *agentLog     // the output of the latest process
	done chan struct{} // closed once the latest process has exited
}

// agentConfig is what differs between the agents of a test.
type agentConfig struct {
	server    bool
	retryJoin string // the one retry_join entry
	extra     string // more HCL lines
}

// newAgent writes the agent's configuration; start runs it.
func newAgent(t *testing.T, bin string, h *lab.Host, name string, c agentConfig) *agent {
	t.Helper()
	a := &agent{name: name, host: h, bin: bin, dir: filepath.Join(t.TempDir(), "data"), cleanup: t.Cleanup}
	a.api = &http.Client{
		Timeout: 5 * time.Second,
		Transport: &http.Transport{
			DisableKeepAlives: true,
			DialContext:       h.DialContext, // the socket stays in the host's namespace
		},
	}
	server := "server = false"
	if c.server {
		server = "server = true\nbootstrap_expect = 3"
	}
	hcl := fmt.Sprintf(`node_name  = %q
datacenter = "lab"
data_dir   = %q
bind_addr  = %q
client_addr = "127.0.0.1"
%s
retry_join = [%q]
log_level = "debug"
log_json  = true
disable_update_check = true
ports {
  dns = -1
}
%s
`, name, a.dir, h.Addr, server, c.retryJoin, c.extra)
	a.config = filepath.Join(t.TempDir(), name+".hcl")
	if err := os.WriteFile(a.config, []byte(hcl), 0o600); err != nil {
		t.Fatal(err)
	}
	return a
}

// start runs `consul agent` in the agent's lab host. The process is
// killed when the test that made the agent ends (not a subtest that
// starts it), whatever its outcome.
func (a *agent) start(t *testing.T) {
	t.Helper()
	cmd := a.host.Command(context.Background(), a.bin, "agent", "-config-file="+a.config)
	// Nothing from this process's environment (no MCGOSSIP_COOKIE).
	cmd.Env = []string{"PATH=" + os.Getenv("PATH")}
	a.runs++
	a.log = newAgentLog(fmt.Sprintf("%s, run %d", a.name, a.runs))
	cmd.Stdout, cmd.Stderr = a.log, a.log
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting consul %s on %s: %v", a.name, a.host, err)
	}
	a.cmd, a.done = cmd, make(chan struct{})
	done := a.done
	go func() {
		_ = cmd.Wait()
		close(done)
	}()
	a.cleanup(func() {
		select {
		case <-done:
		default:
			_ = cmd.Process.Kill()
			<-done
		}
	})
}

// stop sends SIGTERM and waits for the process to exit.
func (a *agent) stop(t *testing.T) {
	t.Helper()
	if err := a.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatalf("signalling consul %s: %v", a.name, err)
	}
	select {
	case <-a.done:
	case <-time.After(stopTimeout):
		_ = a.cmd.Process.Kill()
		<-a.done
		t.Fatalf("consul %s did not exit within %v of SIGTERM:\n%s", a.name, stopTimeout, a.log.tail(20))
	}
}

// get decodes the JSON answer of the agent's HTTP API at path into v.
func (a *agent) get(path string, v any) error {
	resp, err := a.api.Get("http://127.0.0.1:8500" + path)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s: %s", path, resp.Status, strings.TrimSpace(string(body)))
	}
	if raw, ok := v.(*[]byte); ok {
		*raw = body
		return nil
	}
	return json.Unmarshal(body, v)
}

// member is an entry of /v1/agent/members (a serf member).
type member struct {
	Name   string
	Addr   string
	Status int // serf: 1 alive, 2 leaving, 3 left, 4 failed
	Tags   map[string]string
}

// Serf member states, as /v1/agent/members reports them.
const (
	statusAlive  = 1
	statusFailed = 4
)

// members returns the agent's view of the LAN pool, by name.
func (a *agent) members() (map[string]member, error) {
	var ms []member
	if err := a.get("/v1/agent/members", &ms); err != nil {
		return nil, err
	}
	out := make(map[string]member, len(ms))
	for _, m := range ms {
		out[m.Name] = m
	}
	return out, nil
}

// leader returns the raft leader's address the agent knows ("" for none).
func (a *agent) leader() (string, error) {
	var l string
	err := a.get("/v1/status/leader", &l)
	return l, err
}

// eventually calls check every 100ms until it returns nil, and fails the
// test with check's last error once timeout has passed. It returns how
// long it waited.
func eventually(t *testing.T, timeout time.Duration, what string, check func() error) time.Duration {
	t.Helper()
	start := time.Now()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		err := check()
		if err == nil {
			return time.Since(start)
		}
		select {
		case <-tick.C:
		case <-deadline.C:
			t.Fatalf("%s: not within %v: %v", what, timeout, err)
		}
	}
}
