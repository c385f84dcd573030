// Package e2e runs a Consul cluster that forms through the mcgossip
// provider on the namespace lab: three servers and a client, each in a lab
// host of its own, joined by nothing but
// retry_join = ["provider=mcgossip cookie_file=..."].
//
// The Consul under test is the wrapper in the parent directory (Consul
// v1.16.3 with the provider registered), built by the test with GOWORK=off,
// or the binary named by $CONSUL_BINARY. It is a module of its own because
// it imports the lab from the root module, whose requirements must not
// reach the Consul build's version selection. Every Consul process runs
// inside a lab namespace; none is started in the machine's own.
package e2e
