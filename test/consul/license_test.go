package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"
)

// Consul v1.16.3 is the last Consul on the module proxy under MPL-2.0:
// later 1.16.x and 1.15.x releases are under the Business Source License
// (BUSL-1.1) and must never be built here.
const (
	consulModule  = "github.com/hashicorp/consul"
	consulVersion = "v1.16.3"
	// consulSum is v1.16.3's hash as the checksum database records it.
	consulSum = "h1:XwZrfgL8x0lK0hvGzwD1kUowvkbFtQblc9H6wDfH0Tc="
)

// mplTitle opens the MPL-2.0 text (after any copyright line).
const mplTitle = "Mozilla Public License, version 2.0"

// TestConsulVersion checks that this build links exactly Consul v1.16.3,
// unreplaced, with the checksum database's hash.
func TestConsulVersion(t *testing.T) {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		t.Fatal("no build info in the test binary")
	}
	for _, d := range bi.Deps {
		if d.Path != consulModule {
			continue
		}
		if d.Version != consulVersion || d.Replace != nil || d.Sum != consulSum {
			t.Fatalf("the build links %s %s (sum %s, replaced by %v); want %s %s (sum %s), the last MPL-2.0 release",
				d.Path, d.Version, d.Sum, d.Replace, consulModule, consulVersion, consulSum)
		}
		return
	}
	t.Fatalf("the build does not link %s", consulModule)
}

// module is what `go list -m -json` says of a module.
type module struct {
	Path    string
	Version string
	Dir     string
}

// modules returns the modules of the build, with the directories the go
// command extracted them to.
func modules(t *testing.T) []module {
	t.Helper()
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		t.Fatal("no build info in the test binary")
	}
	args := []string{"list", "-m", "-json"}
	for _, d := range bi.Deps {
		if d.Replace == nil { // the provider, replaced by ../../provider, is ours
			args = append(args, d.Path)
		}
	}
	cmd := exec.Command("go", args...)
	cmd.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=-mod=readonly")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list -m -json: %v\n%s", err, stderr.Bytes())
	}
	var mods []module
	for dec := json.NewDecoder(bytes.NewReader(out)); dec.More(); {
		var m module
		if err := dec.Decode(&m); err != nil {
			t.Fatal(err)
		}
		mods = append(mods, m)
	}
	return mods
}

// TestConsulLicense checks that the Consul module built here carries the
// MPL-2.0 text, the same text as this repository's LICENSE, and that no
// module of the build carries the Business Source License.
func TestConsulLicense(t *testing.T) {
	ours, err := os.ReadFile(filepath.Join("..", "..", "LICENSE"))
	if err != nil {
		t.Fatal(err)
	}
	mpl := string(ours)
	if !strings.HasPrefix(mpl, mplTitle) {
		t.Fatalf("../../LICENSE does not start with %q", mplTitle)
	}
	var consul bool
	var files int
	mods := modules(t)
	for _, m := range mods {
		if m.Dir == "" {
			t.Errorf("%s %s: not in the module cache", m.Path, m.Version)
			continue
		}
		licenses, _ := filepath.Glob(filepath.Join(m.Dir, "LICEN[CS]E*"))
		files += len(licenses)
		for _, f := range licenses {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			if bytes.Contains(b, []byte("Business Source License")) {
				t.Errorf("%s %s: %s is the Business Source License", m.Path, m.Version, filepath.Base(f))
			}
		}
		if m.Path != consulModule {
			continue
		}
		consul = true
		b, err := os.ReadFile(filepath.Join(m.Dir, "LICENSE"))
		if err != nil {
			t.Fatal(err)
		}
		text := string(b)
		i := strings.Index(text, mplTitle)
		if i < 0 || text[i:] != mpl {
			t.Errorf("%s %s: LICENSE is not the MPL-2.0 text of ../../LICENSE", m.Path, m.Version)
		}
	}
	if !consul {
		t.Errorf("%s is not among the build's modules", consulModule)
	}
	t.Logf("%d modules, %d license files, none BUSL", len(mods), files)
}
