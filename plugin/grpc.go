package plugin

import (
	"context"

	goplugin "github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"

	discoverv1 "github.com/mcgossip/go-discover-mcgossip/plugin/proto/discover/v1"
)

// grpcPlugin is the go-plugin plugin that carries the providers of a binary:
// gRPC only (net/rpc is refused by the embedded NetRPCUnsupportedPlugin).
type grpcPlugin struct {
	goplugin.NetRPCUnsupportedPlugin
	// srv serves the providers on the plugin side; nil on the host side.
	srv discoverv1.ProviderServiceServer
}

var _ goplugin.GRPCPlugin = (*grpcPlugin)(nil)

// GRPCServer registers the ProviderService (plugin side).
func (p *grpcPlugin) GRPCServer(_ *goplugin.GRPCBroker, s *grpc.Server) error {
	discoverv1.RegisterProviderServiceServer(s, p.srv)
	return nil
}

// GRPCClient returns the host's stub. ctx is cancelled by go-plugin when the
// plugin process exits, which tells a crash from a slow answer.
func (p *grpcPlugin) GRPCClient(ctx context.Context, _ *goplugin.GRPCBroker, cc *grpc.ClientConn) (interface{}, error) {
	return &stub{rpc: discoverv1.NewProviderServiceClient(cc), exited: ctx}, nil
}

// stub is the host's end of one plugin connection.
type stub struct {
	rpc discoverv1.ProviderServiceClient
	// exited is done once the plugin process has exited.
	exited context.Context
}

// pluginSets is the VersionedPlugins map of a host or plugin: each protocol
// version this package speaks, with the same plugin type (srv is nil on the
// host side).
func pluginSets(srv discoverv1.ProviderServiceServer) map[int]goplugin.PluginSet {
	return map[int]goplugin.PluginSet{
		ProtocolVersion: {pluginName: &grpcPlugin{srv: srv}},
	}
}
