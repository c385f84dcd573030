package clitest

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/module"
	"golang.org/x/mod/sumdb/dirhash"
	modzip "golang.org/x/mod/zip"

	"github.com/mcgossip/go-discover-mcgossip/internal/lab"
)

// installVersion is the version TestGoInstallVersion publishes the
// command's module at, in a proxy of its own.
const installVersion = "v0.9.9-installtest"

// providerPlaceholder is the version at which the root module requires the
// provider module until the provider is published.
const providerPlaceholder = "v0.0.0-00010101000000-000000000000"

// TestGoInstallVersion: `go install github.com/mcgossip/go-discover-mcgossip@vX`
// builds a binary whose version command reports vX, from the build
// information alone (no -ldflags). The repository's two modules, as
// committed (HEAD), are published to a file:// module proxy of the test's (the root
// at vX, the provider at the placeholder version the root requires, with
// its hashes added to the root's go.sum as publishing it would); every
// other module comes from the machine's module cache (make test has
// filled it), used as a second file:// proxy. A module cache of the test's
// own keeps these versions out of the machine's.
func TestGoInstallVersion(t *testing.T) {
	root, err := lab.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	// The committed tree (git archive works in clones and worktrees).
	tree := t.TempDir()
	archive := exec.Command("sh", "-c", `git -C "$1" archive --format=tar HEAD | tar -x -C "$2"`, "sh", root, tree)
	if out, err := archive.CombinedOutput(); err != nil {
		t.Fatalf("git archive HEAD of %s: %v\n%s", root, err, out)
	}
	proxy := t.TempDir()
	providerSums := publish(t, proxy, tree, "provider", module.Version{Path: lab.Module + "/provider", Version: providerPlaceholder}, "")
	publish(t, proxy, tree, "", module.Version{Path: lab.Module, Version: installVersion}, providerSums)

	env := func(key string) string {
		out, err := exec.Command("go", "env", key).Output()
		if err != nil {
			t.Fatalf("go env %s: %v", key, err)
		}
		return strings.TrimSpace(string(out))
	}
	gobin := t.TempDir()
	cmd := exec.Command("go", "install", lab.Module+"@"+installVersion)
	cmd.Dir = t.TempDir() // outside any module
	cmd.Env = append(os.Environ(),
		"GOBIN="+gobin,
		"GOMODCACHE="+t.TempDir(),
		// A module cache t.TempDir can remove; -trimpath makes the build
		// cache hit although the module cache is new each time.
		"GOFLAGS=-modcacherw -trimpath",
		"GOWORK=off",
		// The test runs in a namespace without network: our modules, then
		// the machine's module cache, nothing else. The go.sum files check
		// what is downloaded; no checksum database can be reached.
		"GOPROXY=file://"+filepath.ToSlash(proxy)+",file://"+filepath.ToSlash(filepath.Join(env("GOMODCACHE"), "cache", "download"))+",off",
		"GOSUMDB=off",
	)
	start := time.Now()
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go install %s@%s: %v\n%s", lab.Module, installVersion, err, out)
	}
	t.Logf("go install took %v", time.Since(start).Round(100*time.Millisecond))
	out, err := exec.Command(filepath.Join(gobin, "go-discover-mcgossip"), "version").Output()
	want := "go-discover-mcgossip " + installVersion + " ("
	if err != nil || !strings.HasPrefix(string(out), want) {
		t.Fatalf("the installed binary's version: %q, %v; want it to start with %q", out, err, want)
	}
}

// publish writes the module in subdir of tree to the file proxy as mv, and
// returns its go.sum lines. extraSum is added to the published go.sum.
func publish(t *testing.T, proxy, tree, subdir string, mv module.Version, extraSum string) string {
	t.Helper()
	escaped, err := module.EscapePath(mv.Path)
	if err != nil {
		t.Fatal(err)
	}
	vdir := filepath.Join(proxy, escaped, "@v")
	if err := os.MkdirAll(vdir, 0o755); err != nil {
		t.Fatal(err)
	}
	var zbuf bytes.Buffer
	if err := modzip.CreateFromDir(&zbuf, mv, filepath.Join(tree, subdir)); err != nil {
		t.Fatalf("zipping %s: %v", mv.Path, err)
	}
	z := rewriteZip(t, zbuf.Bytes(), mv, extraSum)
	info, _ := json.Marshal(map[string]any{"Version": mv.Version, "Time": time.Now().UTC().Format(time.RFC3339)})
	base := filepath.Join(vdir, mv.Version)
	for name, b := range map[string][]byte{".info": info, ".mod": z.gomod, ".zip": z.data} {
		if err := os.WriteFile(base+name, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(vdir, "list"), []byte(mv.Version+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	zipSum, err := dirhash.HashZip(base+".zip", dirhash.Hash1)
	if err != nil {
		t.Fatal(err)
	}
	modSum, err := dirhash.Hash1([]string{"go.mod"}, func(string) (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(z.gomod)), nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("%s %s %s\n%s %s/go.mod %s\n", mv.Path, mv.Version, zipSum, mv.Path, mv.Version, modSum)
}

// moduleZip is a module zip and its go.mod.
type moduleZip struct{ data, gomod []byte }

// rewriteZip returns the module zip z with sum appended to its go.sum (if
// sum is not empty), and its go.mod.
func rewriteZip(t *testing.T, z []byte, mv module.Version, sum string) moduleZip {
	t.Helper()
	r, err := zip.NewReader(bytes.NewReader(z), int64(len(z)))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	var gomod []byte
	w := zip.NewWriter(&out)
	prefix := mv.Path + "@" + mv.Version + "/"
	for _, f := range r.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		switch f.Name {
		case prefix + "go.sum":
			b = append(b, sum...)
		case prefix + "go.mod":
			gomod = b
		}
		fw, err := w.Create(f.Name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := fw.Write(b); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if gomod == nil {
		t.Fatalf("%s: no go.mod in the module zip", mv)
	}
	return moduleZip{data: out.Bytes(), gomod: gomod}
}
