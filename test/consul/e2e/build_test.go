package e2e

import (
	"debug/buildinfo"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// binaryEnv names an environment variable that gives the path of a
// consul binary to test instead of building the wrapper (to save the
// build, or to test a build made elsewhere). It must be the wrapper:
// consulBinary checks its build info.
const binaryEnv = "CONSUL_BINARY"

// Module paths the binary under test must be built from.
const (
	consulModule   = "github.com/hashicorp/consul"
	consulVersion  = "v1.16.3"
	providerModule = "github.com/mcgossip/go-discover-mcgossip/provider"
)

// consulBinary builds the wrapper in the parent directory (GOWORK=off, so
// its own go.mod and go.sum decide every version) into a temporary
// directory of t, or returns $CONSUL_BINARY, and checks that the binary is
// Consul v1.16.3 with the provider linked in.
func consulBinary(t *testing.T) string {
	t.Helper()
	bin := os.Getenv(binaryEnv)
	if bin == "" {
		bin = filepath.Join(t.TempDir(), "consul")
		cmd := exec.Command("go", "build", "-o", bin, ".")
		cmd.Dir = ".."
		cmd.Env = append(os.Environ(), "GOWORK=off")
		start := time.Now()
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("building the consul wrapper (go build in ..): %v\n%s", err, out)
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
		t.Fatalf("%s is not built from %s %s (unreplaced) and %s (%s may name only the wrapper in ..)",
			bin, consulModule, consulVersion, providerModule, binaryEnv)
	}
	return bin
}
