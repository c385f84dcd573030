//go:build !linux

package mcast

import "net"

// allAddrs returns the addresses of the interfaces ifs by index, as the
// standard library lists them.
func allAddrs(ifs []net.Interface) map[int]ifAddrs { return addrsFromNetAll(ifs) }
