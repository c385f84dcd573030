package cli

import (
	"fmt"
	"runtime"

	"github.com/mcgossip/go-discover-mcgossip/internal/version"
	"github.com/mcgossip/go-discover-mcgossip/provider/mcgossip/wire"
)

// runVersion prints the program's version, the Go version and platform,
// and the wire protocol version.
func runVersion(e *env) error {
	if err := noArgs(e, "version"); err != nil {
		return err
	}
	_, err := fmt.Fprintf(e.stdout, "%s %s (%s %s/%s, wire protocol v%d)\n",
		progName, version.String(), runtime.Version(), runtime.GOOS, runtime.GOARCH, wire.Version)
	return err
}
