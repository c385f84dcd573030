package consul

import (
	"debug/buildinfo"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// runEnv names the environment variable that turns the tests on: they
// run when it is 1 (make e2e) and skip otherwise, so that `go test ./...`
// in test/ does not build Consul.
const runEnv = "MCGOSSIP_E2E_CONSUL"

// binaryEnv names an environment variable that gives the path of a
// consul binary to test instead of building the wrapper (to save the
// build, or to test a build made elsewhere). It must be the wrapper:
// consulBinary checks its build info.
const binaryEnv = "CONSUL_BINARY"

// wrapperDir is the wrapper's module (test/consul), from this package.
const wrapperDir = "../../consul"

// Module paths the binary under test must be built from.
const (
	consulModule   = "github.com/hashicorp/consul"
	consulVersion  = "v1.16.3"
	providerModule = "github.com/mcgossip/go-discover-mcgossip/provider"
)

// consulBinary skips t unless $MCGOSSIP_E2E_CONSUL is 1; then it builds
// the wrapper in test/consul (GOWORK=off, so its own go.mod and go.sum
// decide every version) into a temporary directory of t, or returns
// $CONSUL_BINARY, and checks that the binary is Consul v1.16.3 with the
// provider linked in.
func consulBinary(t *testing.T) string {
	t.Helper()
	if os.Getenv(runEnv) != "1" {
		t.Skipf("%s is not 1: the Consul end-to-end tests run with make e2e (they build Consul v1.16.3: minutes on a cold cache)", runEnv)
	}
	bin := os.Getenv(binaryEnv)
	if bin == "" {
		bin = filepath.Join(t.TempDir(), "consul")
		cmd := exec.Command("go", "build", "-o", bin, ".")
		cmd.Dir = wrapperDir
		cmd.Env = append(os.Environ(), "GOWORK=off")
		start := time.Now()
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("building the consul wrapper (go build in %s): %v\n%s", wrapperDir, err, out)
		}
		t.Logf("built the consul wrapper in %v", time.Since(start).Round(100*time.Millisecond))
	}
	info, err := buildinfo.ReadFile(bin)
	if err != nil {
		t.Fatalf("%s: reading its build info: %v", bin, err)
	}
	var consul, provider bool
	for _, d := range info.Deps {
		switch d.Path {
		case consulModule:
			consul = d.Version == consulVersion && d.Replace == nil
		case providerModule:
			provider = true
		}
	}
	if !consul || !provider {
		t.Fatalf("%s is not built from %s %s (unreplaced) and %s (%s may name only the wrapper of test/consul)",
			bin, consulModule, consulVersion, providerModule, binaryEnv)
	}
	return bin
}
