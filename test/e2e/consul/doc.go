// Package consul runs a Consul cluster that forms through the mcgossip
// provider on the namespace lab (internal/lab): three servers and a
// client, each in a lab host of its own, joined by nothing but
// retry_join = ["provider=mcgossip cookie_file=..."].
//
// The Consul under test is the wrapper in test/consul (Consul v1.16.3 with
// the provider registered, a module of its own), which the test builds
// with GOWORK=off so that only that module's go.mod and go.sum choose its
// versions, or the binary named by $CONSUL_BINARY. The build takes minutes
// on a cold cache, so the tests run only when $MCGOSSIP_E2E_CONSUL is 1
// (make e2e sets it) and skip otherwise.
//
// Every Consul process runs inside a lab namespace, and every connection
// the test makes to an agent's HTTP API is dialled inside that agent's
// namespace; none is opened in the machine's own. The test process itself
// stays in the machine's namespace (no netns.Main) only so that `go build`
// can reach the module proxy.
package consul
