package mcast

import (
	"context"
	"errors"
	"net"
	"sync"
	"testing"
)

// TestClosedNamespace: once a Receiver opened in another namespace is
// closed, HostAddrs and Dial fail with net.ErrClosed instead of entering
// the namespace through a closed descriptor (whose number may be another
// file's by then); calls that race with Close either work or fail so, and
// the race detector finds nothing (Close's release of the namespace used
// to race with enter on the callers' goroutines).
func TestClosedNamespace(t *testing.T) {
	// A namespace of its own, so that the callers' threads switch to it:
	// enter then uses the descriptor.
	var (
		r  *Receiver
		ln net.Listener
	)
	err := inNewNetns([][]string{{"link", "set", "lo", "up"}}, func() error {
		var err error
		if ln, err = net.Listen("tcp4", "127.0.0.1:0"); err != nil {
			return err
		}
		r, err = OpenReceiver(Settings{Group: testGroup, Port: 45993, IfAddr: loopback, Interfaces: []string{"lo"}})
		return err
	})
	if err != nil {
		t.Fatalf("setting up a second namespace: %v", err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	const callers = 8
	var wg sync.WaitGroup
	errs := make(chan error, 2*callers)
	for range callers {
		wg.Add(2)
		go func() {
			defer wg.Done()
			_, err := r.t.HostAddrs()
			errs <- err
		}()
		go func() {
			defer wg.Done()
			c, err := r.Dial(context.Background(), "tcp", ln.Addr().String())
			if err == nil {
				c.Close()
			}
			errs <- err
		}()
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil && !errors.Is(err, net.ErrClosed) {
			t.Errorf("a call racing with Close: %v; want it to work or fail with net.ErrClosed", err)
		}
	}
	if _, err := r.t.HostAddrs(); !errors.Is(err, net.ErrClosed) {
		t.Errorf("HostAddrs after Close: %v; want net.ErrClosed", err)
	}
	if c, err := r.Dial(context.Background(), "tcp", ln.Addr().String()); !errors.Is(err, net.ErrClosed) {
		if c != nil {
			c.Close()
		}
		t.Errorf("Dial after Close: %v; want net.ErrClosed", err)
	}
}
