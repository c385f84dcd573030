package lab

import (
	"bytes"
	"errors"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
)

// DropIPv4Multicast makes the bridge drop (drop true) or forward again
// every IPv4 multicast datagram between the hosts, as a switch with IGMP
// snooping and no querier does, and some home routers: an nftables rule
// (table bridge mcglab, forward hook) in the bridge's namespace. Broadcast
// and IPv6 pass. A host still gets its own multicast back (the kernel
// loops it back before the bridge).
func (l *Lab) DropIPv4Multicast(drop bool) error {
	script := "table bridge mcglab\ndelete table bridge mcglab\n"
	if drop {
		script += `table bridge mcglab {
	chain forward {
		type filter hook forward priority filter; policy accept;
		ip daddr 224.0.0.0/4 counter drop
	}
}
`
	}
	if err := run(exec.Command("ip", "netns", "exec", l.bridge, "nft", "-f", "-"), script); err != nil {
		return fmt.Errorf("lab: setting the bridge to drop IPv4 multicast (%t): %w", drop, err)
	}
	return nil
}

// DroppedIPv4Multicast returns how many packets the rule of
// DropIPv4Multicast dropped.
func (l *Lab) DroppedIPv4Multicast() (int, error) {
	out, err := exec.Command("ip", "netns", "exec", l.bridge, "nft", "list", "table", "bridge", "mcglab").CombinedOutput()
	if err != nil {
		return 0, fmt.Errorf("lab: reading the bridge's drop counter: %w: %s", err, bytes.TrimSpace(out))
	}
	f := strings.Fields(string(out))
	for i := range f {
		if f[i] == "packets" && i+1 < len(f) {
			return strconv.Atoi(f[i+1])
		}
	}
	return 0, errors.New("lab: the bridge has no drop counter")
}
