package lab

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"os/exec"
	"strings"
	"time"
)

// readyTimeout bounds the wait for links to come up.
const readyTimeout = 10 * time.Second

// waitReady returns once the hosts' eth0 and their ports on the bridge
// carry traffic. A veth's carrier comes up asynchronously (the kernel's
// link watcher activates its queue and the bridge moves the port to
// forwarding); until then the link drops what is sent on it, so a lab
// must not be handed out, nor a link reported up, before that.
func (l *Lab) waitReady(hosts []*Host) error {
	deadline := time.Now().Add(readyTimeout)
	pending := append([]*Host(nil), hosts...)
	for {
		ports, err := l.forwardingPorts()
		if err != nil {
			return err
		}
		var still []*Host
		for _, h := range pending {
			if !ports[h.port] {
				still = append(still, h)
				continue
			}
			up, err := h.running()
			if err != nil {
				return err
			}
			if !up {
				still = append(still, h)
			}
		}
		if pending = still; len(pending) == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			names := make([]string, len(pending))
			for i, h := range pending {
				names[i] = h.Name
			}
			return fmt.Errorf("lab: links still not up after %v: %s", readyTimeout, strings.Join(names, " "))
		}
		time.Sleep(2 * time.Millisecond) // polling kernel state, bounded by deadline
	}
}

// forwardingPorts returns the bridge ports that are operationally up and
// in the forwarding state.
func (l *Lab) forwardingPorts() (map[string]bool, error) {
	cmd := exec.Command("ip", "-n", l.bridge, "-d", "-j", "link", "show", "master", "br0")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("lab: listing bridge ports: %w: %s", err, strings.TrimSpace(stderr.String()))
	}
	var links []struct {
		Name      string `json:"ifname"`
		Operstate string `json:"operstate"`
		Linkinfo  struct {
			Slave struct {
				State string `json:"state"`
			} `json:"info_slave_data"`
		} `json:"linkinfo"`
	}
	if err := json.Unmarshal(out, &links); err != nil {
		return nil, fmt.Errorf("lab: parsing bridge ports: %w", err)
	}
	ports := make(map[string]bool, len(links))
	for _, p := range links {
		ports[p.Name] = p.Operstate == "UP" && p.Linkinfo.Slave.State == "forwarding"
	}
	return ports, nil
}

// running reports whether the host's eth0 is operationally up, and for
// an IPv6 host has its link-local address (the kernel adds it once the
// carrier is up).
func (h *Host) running() (bool, error) {
	var up bool
	err := h.Do(func() error {
		ifi, err := net.InterfaceByName("eth0")
		if err != nil {
			return err
		}
		up = ifi.Flags&net.FlagRunning != 0
		if !up || h.Family&IPv6 == 0 {
			return nil
		}
		addrs, err := ifi.Addrs()
		if err != nil {
			return err
		}
		up = false
		for _, a := range addrs {
			if p, ok := a.(*net.IPNet); ok && p.IP.IsLinkLocalUnicast() && p.IP.To4() == nil {
				up = true
			}
		}
		return nil
	})
	return up, err
}
