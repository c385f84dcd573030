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
	_, e.inlineCookie = args["cookie"]
	return args, cfg, nil
}

// inlineCookieWarning is logged by a command given cookie= on its command
// line.
const inlineCookieWarning = "the cookie is on the command line (cookie=): ps shows it to every user of this host; put it in a cookie_file (mode 0600) instead"

// startEngine starts an engine for cfg that logs on stderr at level (unless
// -log-level or -q say otherwise), and returns it with the command's own
// logger. It warns of a cookie given on the command line.
func (e *env) startEngine(cfg *mcgossip.Config, level hclog.Level) (*mcgossip.Engine, hclog.Logger, error) {
	hl, std, rec := e.loggers(level)
	cfg.Logger = rec
	eng, err := mcgossip.NewEngine(cfg, std)
	if err != nil {
		return nil, nil, err
	}
	if e.inlineCookie {
		hl.Warn(inlineCookieWarning)
	}
	return eng, hl, nil
}
