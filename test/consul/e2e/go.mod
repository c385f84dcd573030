module github.com/mcgossip/go-discover-mcgossip/test/consul/e2e

go 1.26.8

require github.com/mcgossip/go-discover-mcgossip v0.0.0-00010101000000-000000000000

require golang.org/x/sys v0.50.0 // indirect

// The root module (the lab) and, once it is a module of its own, the
// provider come from this repository.
replace (
	github.com/mcgossip/go-discover-mcgossip => ../../..
	github.com/mcgossip/go-discover-mcgossip/provider => ../../../provider
)
