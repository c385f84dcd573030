//go:build !unix

package keyfile

// openNoBlock adds nothing where opening a file cannot block on a reader.
const openNoBlock = 0
