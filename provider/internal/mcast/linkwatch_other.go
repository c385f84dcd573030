//go:build !linux

package mcast

import "errors"

// linkWatch is not available outside Linux: the transport polls the
// interfaces instead.
type linkWatch struct{}

func newLinkWatch() (*linkWatch, error) {
	return nil, errors.New("watching the interfaces: not supported on this system")
}

func (w *linkWatch) wait() error { return errors.New("not supported") }

func (w *linkWatch) close() {}
