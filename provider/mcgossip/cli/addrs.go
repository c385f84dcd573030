package cli

import (
	"fmt"
	"strings"

	"github.com/hashicorp/go-hclog"

	"github.com/mcgossip/go-discover-mcgossip/provider/mcgossip"
)

// runAddrs is go-discover's `discover addrs` for mcgossip: one lookup, the
// addresses on one stdout line separated by single spaces (an empty line if
// none), errors on stderr. It is an observer unless announce=true is given.
//
// Behind go-netaddrs exec= (with -q) stdout holds bare IPs as long as the
// peers advertise no port, and stderr stays empty on success.
func runAddrs(e *env) error {
	args, err := e.config("false")
	if err != nil {
		return err
	}
	_, std := e.loggers(hclog.Info)
	cfg, err := mcgossip.ParseConfig(args)
	if err != nil {
		return err
	}
	eng, err := mcgossip.NewEngine(cfg, std)
	if err != nil {
		return err
	}
	peers, err := eng.Discover(e.ctx)
	if cerr := eng.Close(); err == nil && cerr != nil {
		err = cerr
	}
	if err != nil {
		if e.ctx.Err() != nil {
			return fmt.Errorf("discover-mcgossip: addrs interrupted: %w", err)
		}
		return err
	}
	out := make([]string, len(peers))
	for i, p := range peers {
		out[i] = p.String()
	}
	_, err = fmt.Fprintln(e.stdout, strings.Join(out, " "))
	return err
}

// config parses the command's key=val arguments as a go-discover config
// string and sets announce to defAnnounce when it is not given.
func (e *env) config(defAnnounce string) (map[string]string, error) {
	args, err := ParseConfig(strings.Join(e.args, " "))
	if err != nil {
		return nil, fmt.Errorf("discover-mcgossip: %w", err)
	}
	if args == nil {
		args = map[string]string{}
	}
	if _, ok := args["announce"]; !ok {
		args["announce"] = defAnnounce
	}
	return args, nil
}
