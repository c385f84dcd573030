package plugin

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
)

// Discover returns a RemoteProvider for every executable "go-discover-<name>"
// (on Windows "go-discover-<name>.exe") in dir, keyed by <name>, which is
// also the provider name asked of the plugin. Nothing is run. opts apply to
// every provider (WithName is overridden by the key). Symbolic links are
// followed; directories, non-executable files (e.g. checksum files) and
// files without the prefix are skipped. For go-discover, copy the result
// into a map[string]discover.Provider:
//
//	loaded, err := plugin.Discover(dir)
//	providers := map[string]discover.Provider{}
//	for name, p := range loaded {
//		providers[name] = p
//	}
//	d, err := discover.New(discover.WithProviders(providers))
func Discover(dir string, opts ...Option) (map[string]*RemoteProvider, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("plugin: discovering plugins: %w", err)
	}
	out := map[string]*RemoteProvider{}
	for _, e := range entries {
		name, ok := pluginKey(e.Name())
		if !ok {
			continue
		}
		path := filepath.Join(dir, e.Name())
		fi, err := os.Stat(path)
		if err != nil || !fi.Mode().IsRegular() || (runtime.GOOS != "windows" && fi.Mode().Perm()&0o111 == 0) {
			continue
		}
		p, err := NewProvider(path, append(append([]Option(nil), opts...), WithName(name))...)
		if err != nil {
			return nil, err
		}
		out[name] = p
	}
	return out, nil
}

// pluginKey returns the provider name of a plugin file name.
func pluginKey(file string) (string, bool) {
	if runtime.GOOS == "windows" {
		if !strings.HasSuffix(strings.ToLower(file), ".exe") {
			return "", false
		}
		file = file[:len(file)-len(".exe")]
	}
	name, ok := strings.CutPrefix(file, binaryPrefix)
	return name, ok && name != ""
}
