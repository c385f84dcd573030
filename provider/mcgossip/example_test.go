package mcgossip_test

import (
	"fmt"
	"maps"

	"github.com/mcgossip/go-discover-mcgossip/provider/mcgossip"
)

// Two nodes of one cluster look each other up through the provider, as
// Consul or Nomad do for retry_join = ["provider=mcgossip cookie_file=..."]
// once the provider is registered beside go-discover's own:
//
//	discover.Providers["mcgossip"] = &mcgossip.Provider{}
//
// Here both nodes are in this process, on the loopback interface of the
// test's private network namespace: on one host, so exclude_local=false
// (by default a lookup leaves out the peers at this host's addresses).
func ExampleProvider() {
	args := map[string]string{
		"provider":      "mcgossip",
		"cookie":        "example-cookie-3f9c2a61d0b4e7c8", // a cookie_file in production
		"port":          "47999",
		"exclude_local": "false", // both nodes are on this host
	}
	var first, second mcgossip.Provider
	defer first.Close()
	defer second.Close()

	// The first node finds nobody; its engine goes on announcing it until
	// Close.
	alone := maps.Clone(args)
	alone["timeout"] = "300ms"
	addrs, err := first.Addrs(alone, nil)
	fmt.Println(addrs, err)

	// The second node finds the first.
	expect := maps.Clone(args)
	expect["expect"] = "1"
	addrs, err = second.Addrs(expect, nil)
	fmt.Println(addrs, err)
	// Output:
	// [] <nil>
	// [127.0.0.1] <nil>
}
