//go:build !unix

package mcgossip

// openNoBlock adds nothing where opening a file cannot block on a reader.
const openNoBlock = 0
