package plugin

import (
	"testing"

	goplugin "github.com/hashicorp/go-plugin"

	discoverv1 "github.com/mcgossip/go-discover-mcgossip/plugin/proto/discover/v1"
)

// ServeProtocol makes Serve offer only protocol version v (tests of the
// version negotiation).
func ServeProtocol(v int) ServeOption {
	return func(c *serveConfig) {
		c.sets = func(srv discoverv1.ProviderServiceServer) map[int]goplugin.PluginSet {
			if s, ok := srv.(*server); ok {
				s.protocol = v
			}
			return map[int]goplugin.PluginSet{v: {pluginName: &grpcPlugin{srv: srv}}}
		}
	}
}

// InProcess returns a RemoteProvider for the provider name, connected over
// go-plugin's in-process gRPC test connection to a server of providers
// configured by serveOpts. The plugin side logs straight into the host's
// log router, tagged as from a real plugin. Closed at the end of the test.
func InProcess(t testing.TB, providers map[string]Provider, name string, serveOpts []ServeOption, opts ...Option) *RemoteProvider {
	t.Helper()
	o := defaultOptions()
	for _, opt := range opts {
		if err := opt(&o); err != nil {
			t.Fatal(err)
		}
	}
	o.name = name
	cfg := serveConfig{version: "(test)"}
	for _, so := range serveOpts {
		so(&cfg)
	}
	rp := &RemoteProvider{path: "in-process", base: "in-process", o: o, logs: newLogRouter(o.level, o.logger)}
	hl := newHostLogger(rp.logs, "plugin")
	srv := newServer(providers, cfg.version, "in-process", hl, cfg.code)
	client, server := goplugin.TestPluginGRPCConn(t, false, map[string]goplugin.Plugin{pluginName: &grpcPlugin{srv: srv}})
	raw, err := client.Dispense(pluginName)
	if err != nil {
		t.Fatal(err)
	}
	ready := make(chan struct{})
	close(ready)
	rp.inst = &instance{
		ready: ready,
		stub:  raw.(*stub),
		log:   hl,
		kill: func() {
			_ = client.Close() // asks the server to stop
			<-server.DoneCh
		},
		exited: func() bool { return false },
	}
	t.Cleanup(func() { _ = rp.Close() })
	return rp
}
