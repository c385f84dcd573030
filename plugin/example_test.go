//go:build linux

package plugin_test

import (
	"fmt"
	"log"
	"os"

	"github.com/mcgossip/go-discover-mcgossip/internal/fakeplugin"
	"github.com/mcgossip/go-discover-mcgossip/plugin"
)

// A host loads a provider plugin and calls it as go-discover calls any
// provider. With the command of this repository that is
//
//	rp, err := plugin.NewProvider("/usr/local/bin/go-discover-mcgossip")
//
// and rp goes into go-discover's providers as "mcgossip". Here the plugin
// binary is this test binary, which serves a fake provider ("fake", and
// "second") when its environment asks it to.
func ExampleNewProvider() {
	exe, err := os.Executable()
	if err != nil {
		fmt.Println(err)
		return
	}
	rp, err := plugin.NewProvider(exe, plugin.WithName("fake"), plugin.WithEnv(fakeplugin.EnvHelper+"=serve"))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer rp.Close() // stops the plugin process

	// The first call starts the plugin; later calls reuse it. The
	// provider's log lines (and the plugin's own) go to the call's logger:
	// go-discover's, or nil to discard them.
	args := map[string]string{"provider": "fake", "mode": "ok", "addrs": "198.18.0.1 198.18.0.2:8301"}
	var logger *log.Logger
	addrs, err := rp.Addrs(args, logger)
	fmt.Println(addrs, err)

	info, err := rp.Info()
	fmt.Println(info.Version, info.Providers, err)
	// Output:
	// [198.18.0.1 198.18.0.2:8301] <nil>
	// v1.2.3-test [fake second] <nil>
}
