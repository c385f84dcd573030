package libcluster

import (
	"errors"
	"log"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestProvider: Addrs finds the nodes heard, keeps its engine between
// calls with the same settings, replaces it when the secret changes, and
// refuses bad arguments.
func TestProvider(t *testing.T) {
	// An engine of the test opens the group and gives the sender; the
	// Provider's engines share the port with it.
	probe, _ := loEngine(t, nil)
	send := sender(t, probe)
	stop := make(chan struct{})
	sent := make(chan struct{})
	go func() {
		defer close(sent)
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		for {
			send(plain("a@127.0.0.1"), plain("b@localhost"), seal("s", [16]byte{}, plain("c@127.0.0.1")))
			select {
			case <-stop:
				return
			case <-tick.C:
			}
		}
	}()
	defer func() { close(stop); <-sent }()

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
	if got, err := p.Addrs(args, nil); err != nil || !slices.Equal(got, []string{"127.0.0.1"}) || only(p.engines) == first {
		t.Errorf("with a secret: %q, %v (the engine must be replaced)", got, err)
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
