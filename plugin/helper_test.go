//go:build linux

package plugin_test

import (
	"testing"

	"github.com/mcgossip/go-discover-mcgossip/internal/fakeplugin"
	"github.com/mcgossip/go-discover-mcgossip/plugin"
)

// The test binary doubles as the processes the tests need (go-plugin's
// helper-process pattern, see fakeplugin.Main); serve-v2 is a plugin that
// offers only protocol version 2.
func TestMain(m *testing.M) {
	fakeplugin.Main(m, map[string]func() int{
		"serve-v2": func() int { return fakeplugin.Serve(plugin.ServeProtocol(2)) },
	})
}
