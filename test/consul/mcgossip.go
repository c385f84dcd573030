// Command consul is Consul v1.16.3 with the mcgossip go-discover provider
// registered, so that retry_join accepts "provider=mcgossip ...".
//
// main.go is Consul's own main.go from the github.com/hashicorp/consul
// v1.16.3 module, unchanged; this file adds the provider. Build it with
//
//	GOWORK=off go build -o consul .
package main

import (
	discover "github.com/hashicorp/go-discover"

	"github.com/mcgossip/go-discover-mcgossip/provider/mcgossip"
)

// init registers the provider before Consul's agent copies
// discover.Providers into the resolver its retry_join uses.
func init() {
	discover.Providers["mcgossip"] = &mcgossip.Provider{}
}
