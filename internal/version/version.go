// Package version tells the program's version, in one place.
package version

import (
	"runtime/debug"
)

// override is set at build time with
// -ldflags "-X github.com/mcgossip/go-discover-mcgossip/internal/version.override=v1.2.3"
// (make build does, from git describe); it takes precedence over the build
// information.
var override string

// String returns the program's version: the -ldflags override if set, else
// the main module's version from the build information (the tag with
// `go install ...@v1.2.3`, or the version the go command stamps from the
// repository's tags and commit), else "dev", with the VCS revision when
// the build recorded one ("dev-0123456789ab", "-dirty" for uncommitted
// changes).
func String() string {
	if override != "" {
		return override
	}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "dev"
	}
	return fromBuildInfo(bi)
}

// fromBuildInfo returns the version that bi records.
func fromBuildInfo(bi *debug.BuildInfo) string {
	if v := bi.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	var rev string
	dirty := false
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if rev == "" {
		return "dev"
	}
	v := "dev-" + rev[:min(len(rev), 12)]
	if dirty {
		v += "-dirty"
	}
	return v
}
