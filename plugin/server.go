package plugin

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"

	hclog "github.com/hashicorp/go-hclog"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	discoverv1 "github.com/mcgossip/go-discover-mcgossip/plugin/proto/discover/v1"
)

// server is the plugin side of the ProviderService: it runs the calls of
// the host on the providers.
type server struct {
	discoverv1.UnimplementedProviderServiceServer

	providers map[string]Provider
	names     []string // sorted
	version   string
	protocol  int
	self      string // the binary's name, for messages
	logger    hclog.Logger
	code      func(error) codes.Code // optional override of codeOf

	uaMu sync.Mutex
	ua   map[string]string // provider name → user agent last set
}

func newServer(providers map[string]Provider, version, self string, logger hclog.Logger, code func(error) codes.Code) *server {
	names := make([]string, 0, len(providers))
	for name := range providers {
		names = append(names, name)
	}
	sort.Strings(names)
	return &server{
		providers: providers,
		names:     names,
		version:   version,
		protocol:  ProtocolVersion,
		self:      self,
		logger:    logger,
		code:      code,
		ua:        map[string]string{},
	}
}

// Info returns the plugin's version and provider names.
func (s *server) Info(context.Context, *discoverv1.InfoRequest) (*discoverv1.InfoResponse, error) {
	return &discoverv1.InfoResponse{
		Version:         s.version,
		Providers:       s.names,
		ProtocolVersion: int32(s.protocol),
	}, nil
}

// Help returns a provider's Help text.
func (s *server) Help(ctx context.Context, req *discoverv1.HelpRequest) (*discoverv1.HelpResponse, error) {
	p, err := s.provider(ctx, req.GetProvider())
	if err != nil {
		return nil, err
	}
	return &discoverv1.HelpResponse{Help: p.Help()}, nil
}

// Addrs runs a provider's Addrs. Providers have no context, so Addrs runs in
// its own goroutine and the call returns when the host's deadline passes
// even if the provider is still busy.
func (s *server) Addrs(ctx context.Context, req *discoverv1.AddrsRequest) (*discoverv1.AddrsResponse, error) {
	name := req.GetProvider()
	p, err := s.provider(ctx, name)
	if err != nil {
		return nil, err
	}
	s.setUserAgent(name, p, req.GetUserAgent())

	l := s.logger
	if id := req.GetLogId(); id != 0 {
		l = l.With(logIDKey, strconv.FormatUint(id, 10))
	}
	std := l.StandardLogger(&hclog.StandardLoggerOptions{InferLevels: true})
	args := req.GetArgs()
	if args == nil {
		args = map[string]string{}
	}

	type result struct {
		addrs []string
		err   error
		ended bool // the end-of-call line was logged
	}
	done := make(chan result, 1)
	go func() {
		addrs, err := p.Addrs(args, std)
		ended := false
		if req.GetLogId() != 0 && l.IsTrace() {
			l.Trace(callEndMsg)
			ended = true
		}
		done <- result{addrs, err, ended}
	}()
	select {
	case r := <-done:
		if r.ended {
			_ = grpc.SetTrailer(ctx, metadata.Pairs(loggedKey, "1"))
		}
		if r.err != nil {
			return nil, s.answer(ctx, r.err)
		}
		return &discoverv1.AddrsResponse{Addrs: r.addrs}, nil
	case <-ctx.Done():
		s.logger.Warn("host gave up on Addrs; the provider is still running", "provider", name, "error", ctx.Err())
		return nil, status.FromContextError(ctx.Err()).Err()
	}
}

// provider looks a provider up by name.
func (s *server) provider(ctx context.Context, name string) (Provider, error) {
	if p, ok := s.providers[name]; ok {
		return p, nil
	}
	quoted := make([]string, len(s.names))
	for i, n := range s.names {
		quoted[i] = strconv.Quote(n)
	}
	serves := "no provider"
	if len(quoted) > 0 {
		serves = strings.Join(quoted, ", ")
	}
	markAnswer(ctx)
	return nil, status.Error(codes.NotFound,
		fmt.Sprintf("plugin %s: no provider %q: it serves %s", s.self, name, serves))
}

// setUserAgent passes the host's user agent to a provider that takes one,
// when it changed.
func (s *server) setUserAgent(name string, p Provider, ua string) {
	setter, ok := p.(interface{ SetUserAgent(string) })
	if !ok || ua == "" {
		return
	}
	s.uaMu.Lock()
	defer s.uaMu.Unlock()
	if s.ua[name] == ua {
		return
	}
	setter.SetUserAgent(ua)
	s.ua[name] = ua
}

// answer turns an error of a provider into a gRPC status error with the
// provider's message unchanged, marked as an answer (not a transport
// failure) with a trailer.
func (s *server) answer(ctx context.Context, err error) error {
	markAnswer(ctx)
	code := codes.Unknown
	if s.code != nil {
		code = s.code(err)
	}
	if code == codes.Unknown || code == codes.OK {
		code = codeOf(err)
	}
	if code == codes.OK { // an error must not cross as a success
		code = codes.Unknown
	}
	return status.Error(code, err.Error())
}

// markAnswer sets the trailer that marks the call's error as the plugin's
// answer.
func markAnswer(ctx context.Context) {
	_ = grpc.SetTrailer(ctx, metadata.Pairs(answerKey, "1"))
}
