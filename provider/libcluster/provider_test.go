package libcluster

import (
	"errors"
	"log"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// TestProvider: Addrs finds the nodes heard, keeps its engine between
// calls with the same settings, starts another beside it for another
// secret, and refuses bad arguments.
func TestProvider(t *testing.T) {
	// An engine of the test opens the group and gives the sender; the
	// Provider's engines share the port with it.
	probe, _ := loEngine(t, nil)
	heartbeats(t, probe, func() [][]byte {
		return [][]byte{plain("a@127.0.0.1"), plain("b@localhost"), seal("s", [16]byte{}, plain("c@127.0.0.1"))}
	})

	p := &Provider{}
	defer p.Close()
	args := map[string]string{"provider": "libcluster", "iface": "lo", "multicast_addr": testGroup.String(),
		"port": strconv.Itoa(probe.cfg.Port), "expect": "2", "timeout": "10s"}
	logs := &logBuf{}
	got, err := p.Addrs(args, log.New(logs, "", 0))
	if err != nil || !slices.Equal(got, []string{"127.0.0.1"}) {
		t.Fatalf("Addrs = %q, %v", got, err)
	}
	if !strings.Contains(logs.String(), "found 2 nodes in") || !strings.Contains(logs.String(), "a@127.0.0.1 at 127.0.0.1, b@localhost at 127.0.0.1") {
		t.Errorf("log:\n%s", logs)
	}
	first := only(p.engines)
	args["expect"] = "1"
	if _, err := p.Addrs(args, nil); err != nil || only(p.engines) != first {
		t.Errorf("a second lookup: %v; engines %v, then %v", err, first, p.engines)
	}
	args["secret"] = "s"
	if got, err := p.Addrs(args, nil); err != nil || !slices.Equal(got, []string{"127.0.0.1"}) || len(p.engines) != 2 || first.isClosed() {
		t.Errorf("with a secret: %q, %v; %d engines, the first closed: %t (want a second engine beside the first)", got, err, len(p.engines), first.isClosed())
	}
	var ce *ConfigError
	if _, err := p.Addrs(map[string]string{"provider": "libcluster", "erlang_cookie_fil": "x"}, nil); !errors.As(err, &ce) {
		t.Errorf("a typo: %v", err)
	}
}

// only returns the engine of a map of one, or nil.
func only(m map[string]*Engine) *Engine {
	if len(m) != 1 {
		return nil
	}
	for _, e := range m {
		return e
	}
	return nil
}

// isClosed reports whether Close was called on e.
func (e *Engine) isClosed() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.closed
}

// heartbeats sends the heartbeats that next returns to probe's group every
// 10 ms until the test ends.
func heartbeats(t *testing.T, probe *Engine, next func() [][]byte) {
	send := sender(t, probe)
	stop := make(chan struct{})
	sent := make(chan struct{})
	go func() {
		defer close(sent)
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		for {
			send(next()...)
			select {
			case <-stop:
				return
			case <-tick.C:
			}
		}
	}()
	t.Cleanup(func() { close(stop); <-sent })
}

// lineWriter signals on seen once a written line contains want.
type lineWriter struct {
	want string
	seen chan struct{}
	once atomic.Bool
}

func (w *lineWriter) Write(b []byte) (int, error) {
	if strings.Contains(string(b), w.want) && w.once.CompareAndSwap(false, true) {
		close(w.seen)
	}
	return len(b), nil
}

// TestProviderEnginesSideBySide: two configs for one group that differ in
// their secret get an engine each; a lookup on one runs to its end while
// the other starts and looks up, and neither engine closes the other.
func TestProviderEnginesSideBySide(t *testing.T) {
	probe, _ := loEngine(t, nil)
	var third atomic.Bool // a third plain node, once the secret lookup ended
	heartbeats(t, probe, func() [][]byte {
		hb := [][]byte{plain("a@127.0.0.1"), plain("b@localhost"), seal("s", [16]byte{}, plain("c@127.0.0.1"))}
		if third.Load() {
			hb = append(hb, plain("d@127.0.0.1"))
		}
		return hb
	})
	p := &Provider{}
	defer p.Close()
	base := map[string]string{"provider": "libcluster", "iface": "lo", "multicast_addr": testGroup.String(),
		"port": strconv.Itoa(probe.cfg.Port), "timeout": "20s"}
	with := func(kv ...string) map[string]string {
		m := map[string]string{}
		for k, v := range base {
			m[k] = v
		}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}

	// The plain lookup waits for 3 nodes: it is running while the secret
	// one starts its engine and ends.
	started := &lineWriter{want: "no erlang_cookie", seen: make(chan struct{})}
	type result struct {
		addrs []string
		err   error
	}
	plainDone := make(chan result, 1)
	go func() {
		got, err := p.Addrs(with("expect", "3"), log.New(started, "", 0))
		plainDone <- result{got, err}
	}()
	select {
	case <-started.seen:
	case r := <-plainDone:
		t.Fatalf("the plain lookup ended before the other started: %q, %v", r.addrs, r.err)
	case <-time.After(10 * time.Second):
		t.Fatal("the plain lookup's engine did not start within 10s")
	}
	if got, err := p.Addrs(with("expect", "1", "secret", "s"), nil); err != nil || !slices.Equal(got, []string{"127.0.0.1"}) {
		t.Fatalf("the secret lookup: %q, %v", got, err)
	}
	third.Store(true)
	select {
	case r := <-plainDone:
		if r.err != nil || !slices.Equal(r.addrs, []string{"127.0.0.1"}) {
			t.Fatalf("the plain lookup: %q, %v; want it to end with its third node, not its engine closed", r.addrs, r.err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("the plain lookup did not end within 15s of its third node")
	}
	p.mu.Lock()
	engines := len(p.engines)
	for _, e := range p.engines {
		if e.isClosed() {
			t.Errorf("an engine of the provider is closed: %s", e.cfg)
		}
	}
	p.mu.Unlock()
	if engines != 2 {
		t.Errorf("%d engines, want 2: one per secret", engines)
	}
}

// TestProviderSecretFileRotation: a secret_file whose content changed
// replaces the engine of that file (the old one is closed); the next
// lookup uses the new secret (it finds b, whose heartbeats are sealed with
// it, not a).
func TestProviderSecretFileRotation(t *testing.T) {
	probe, _ := loEngine(t, nil)
	heartbeats(t, probe, func() [][]byte {
		return [][]byte{seal("old", [16]byte{}, plain("a@127.0.0.1")), seal("new", [16]byte{}, plain("b@localhost"))}
	})
	file := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(file, []byte("old\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	p := &Provider{}
	defer p.Close()
	args := map[string]string{"provider": "libcluster", "iface": "lo", "multicast_addr": testGroup.String(),
		"port": strconv.Itoa(probe.cfg.Port), "timeout": "10s", "expect": "1", "secret_file": file}
	if got, err := p.Addrs(args, nil); err != nil || !slices.Equal(got, []string{"127.0.0.1"}) {
		t.Fatalf("old secret: %q, %v", got, err)
	}
	first := only(p.engines)
	if err := os.WriteFile(file, []byte("new\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	logs := &logBuf{}
	if got, err := p.Addrs(args, log.New(logs, "", 0)); err != nil || !slices.Equal(got, []string{"127.0.0.1"}) || !strings.Contains(logs.String(), "b@localhost at 127.0.0.1") {
		t.Fatalf("new secret: %q, %v; log:\n%s\nwant b@localhost found", got, err, logs)
	}
	if e := only(p.engines); e == nil || e == first || !first.isClosed() {
		t.Errorf("after the rotation: engines %v, the first closed: %t; want one new engine", p.engines, first.isClosed())
	}
	if want := "the content of secret_file " + file + " changed"; !strings.Contains(logs.String(), want) {
		t.Errorf("log:\n%s\nwant %q", logs, want)
	}
}
