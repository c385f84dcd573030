module github.com/mcgossip/go-discover-mcgossip/provider

go 1.25

require (
	golang.org/x/crypto v0.1.0
	golang.org/x/net v0.1.0
	golang.org/x/sys v0.1.0
)
