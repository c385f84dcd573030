package mcgossip

import (
	"fmt"
	"io/fs"
	"net/netip"
	"os"
	"runtime"
	"strconv"
)

// Configuration warnings: settings that work but are probably mistakes.
// An engine logs them once, when it starts; none repeats a cookie.

// configWarnings returns the warnings about cfg: the cookie's (see
// cookieWarning), a cookie_file that others may read, and a group or port
// that belongs to other protocols.
func configWarnings(cfg *Config) []string {
	var out []string
	if w := cookieWarning(cfg.Cookie); w != "" {
		out = append(out, w)
	}
	if cfg.CookieFile != "" {
		if info, err := os.Stat(cfg.CookieFile); err == nil {
			if w := cookieFileWarning(cfg.CookieFile, info); w != "" {
				out = append(out, w)
			}
		}
	}
	port := cfg.Port // warned about once, with the first group in use
	if cfg.Family.has(false) && !cfg.BroadcastOnly {
		out = append(out, groupWarnings(cfg.MulticastAddr, port)...)
		port = 0
	}
	if cfg.Family.has(true) {
		out = append(out, groupWarnings(cfg.MulticastAddr6, port)...)
		port = 0
	}
	if port != 0 {
		out = append(out, groupWarnings(netip.Addr{}, port)...)
	}
	return out
}

// cookieFileWarning returns a warning when the cookie_file at path (with
// info) is open to its group or to others, as ssh refuses a private key
// that is; "" otherwise. systemd's credentials (mode 0400) pass.
func cookieFileWarning(path string, info fs.FileInfo) string {
	perm := info.Mode().Perm()
	if runtime.GOOS == "windows" || perm&0o077 == 0 {
		return ""
	}
	return fmt.Sprintf("cookie_file %q is open to its group or to others (mode %04o): whoever can read it can join the cluster and read its datagrams; "+
		"make it readable by this service's user alone (chmod 600), as ssh requires of its keys", path, perm)
}

// inlineCookieWarning is logged once per engine by a Provider given a
// config string with cookie=.
const inlineCookieWarning = "the cookie is inline in the config string (cookie=): whoever reads the string sees it, " +
	"and Consul, for one, shows retry_join strings in /v1/agent/self and in its \"Cannot discover address\" log lines; " +
	"put the cookie in a cookie_file (mode 0600) instead"

// Well-known groups and ports of other protocols (IANA's registries). The
// list is short on purpose: the ones found on ordinary LANs.
var (
	otherGroups = map[netip.Addr]string{
		netip.AddrFrom4([4]byte{224, 0, 0, 251}):     "mDNS (Bonjour, avahi)",
		netip.AddrFrom4([4]byte{224, 0, 0, 252}):     "LLMNR",
		netip.AddrFrom4([4]byte{224, 0, 1, 1}):       "NTP",
		netip.AddrFrom4([4]byte{224, 0, 1, 129}):     "PTP",
		netip.AddrFrom4([4]byte{239, 255, 255, 250}): "SSDP (UPnP) and WS-Discovery",
		netip.AddrFrom4([4]byte{239, 255, 255, 253}): "SLP",
		netip.MustParseAddr("ff02::1"):               "all IPv6 nodes",
		netip.MustParseAddr("ff02::fb"):              "mDNS (Bonjour, avahi)",
		netip.MustParseAddr("ff02::1:3"):             "LLMNR",
		netip.MustParseAddr("ff02::c"):               "SSDP (UPnP) and WS-Discovery",
		netip.MustParseAddr("ff02::101"):             "NTP",
	}
	otherPorts = map[int]string{
		67: "DHCP", 68: "DHCP", 123: "NTP", 137: "NetBIOS", 138: "NetBIOS", 319: "PTP", 320: "PTP",
		427: "SLP", 1900: "SSDP (UPnP)", 3702: "WS-Discovery", 5353: "mDNS (Bonjour, avahi)", 5355: "LLMNR",
	}
	// controlBlock is 224.0.0.0/24, the local network control block.
	controlBlock = netip.MustParsePrefix("224.0.0.0/24")
	// ssmBlock is 232.0.0.0/8, for source-specific multicast.
	ssmBlock = netip.MustParsePrefix("232.0.0.0/8")
)

// groupWarnings returns the warnings about a group and port that belong
// to other protocols or to address blocks with rules of their own; an
// invalid group or a zero port is not looked at.
func groupWarnings(group netip.Addr, port int) []string {
	var out []string
	def := DefaultMulticastAddr
	if group.Is6() {
		def = DefaultMulticastAddr6
	}
	if name, ok := otherGroups[group]; ok {
		out = append(out, fmt.Sprintf("multicast_addr %s is the group of %s: every host that runs it receives this group's datagrams and this engine receives (and drops) theirs; choose a group of its own, such as the default %s",
			group, name, def))
	}
	switch {
	case controlBlock.Contains(group):
		out = append(out, fmt.Sprintf("multicast_addr %s is in %s, the local network control block of OSPF, VRRP, IGMP, mDNS and the like: switches flood it to every port whatever IGMP snooping says; choose a group outside it, such as the default %s or one from 239.0.0.0/8",
			group, controlBlock, DefaultMulticastAddr))
	case ssmBlock.Contains(group):
		out = append(out, fmt.Sprintf("multicast_addr %s is in %s, reserved for source-specific multicast: switches and routers with IGMPv3 may not deliver a group joined from any source there; choose a group outside it, such as the default %s",
			group, ssmBlock, DefaultMulticastAddr))
	}
	if name, ok := otherPorts[port]; ok {
		out = append(out, fmt.Sprintf("port %d is the port of %s: firewalls and hosts that run it take these datagrams for theirs; choose a port of its own, such as the default %s",
			port, name, strconv.Itoa(DefaultPort)))
	}
	return out
}
