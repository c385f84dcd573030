package libcluster

import (
	"testing"

	"github.com/mcgossip/go-discover-mcgossip/provider/internal/testns"
)

// TestMain runs the tests in a private network namespace: the Erlang tests
// start epmd and distributed nodes, which listen on every interface.
func TestMain(m *testing.M) { testns.Main(m) }
