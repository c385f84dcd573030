package cli

import (
	"fmt"
	"strings"

	"github.com/hashicorp/go-hclog"

	"github.com/mcgossip/go-discover-mcgossip/provider/mcgossip"
)

// parseConfig parses the command's key=val arguments as a go-discover
// config string, sets announce to defAnnounce when it is not given, and
// validates the result. It returns the arguments as given (plus announce)
// and the config.
func (e *env) parseConfig(defAnnounce string) (map[string]string, *mcgossip.Config, error) {
	args, err := ParseArgs(strings.Join(e.args, " "))
	if err != nil {
		return nil, nil, fmt.Errorf("discover-mcgossip: %w", err)
	}
	if args == nil {
		args = map[string]string{}
	}
	if _, ok := args["announce"]; !ok {
		args["announce"] = defAnnounce
	}
	cfg, err := mcgossip.ParseConfig(args)
	if err != nil {
		return nil, nil, err
	}
	return args, cfg, nil
}

// startEngine starts an engine for cfg that logs on stderr at level (unless
// -log-level or -q say otherwise), and returns it with the command's own
// logger.
func (e *env) startEngine(cfg *mcgossip.Config, level hclog.Level) (*mcgossip.Engine, hclog.Logger, error) {
	hl, std := e.loggers(level)
	eng, err := mcgossip.NewEngine(cfg, std)
	if err != nil {
		return nil, nil, err
	}
	return eng, hl, nil
}
