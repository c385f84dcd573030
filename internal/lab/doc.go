// Package lab builds a virtual LAN of network namespaces for tests,
// benchmarks and the demo.
//
// A lab of N hosts is N+1 named network namespaces (the ones `ip netns`
// lists, bind-mounted under /run/netns):
//
//   - a bridge namespace, <prefix>-br, holding the bridge br0 with
//     multicast snooping and STP off, so it floods multicast like a hub;
//   - host namespaces <prefix>-h1 ... <prefix>-hN, each with lo up and a
//     veth eth0 (multicast on) whose peer h<i> is a port of br0. Host i has
//     the address 198.18.0.0+i/15 (RFC 2544 benchmarking range), a route
//     for 224.0.0.0/4 on eth0 and no default route, so nothing sent in a
//     host can go anywhere but the lab's LAN.
//
// Hosts may have IPv6 too, or only IPv6 (WithFamily, WithHostFamily): the
// unique-local address fd6d:6367:6c61::i/64 and a link-local one, both
// usable at once (DAD off in the host), and the kernel's own route for
// ff00::/8 on eth0; an IPv4 host of such a lab has IPv6 off on eth0.
// DropIPv4Multicast makes the bridge drop IPv4 multicast, as a switch
// with IGMP snooping and no querier does. Whatever a test sends (IPv6
// multicast, broadcast, subnet-directed broadcast) stays in the lab's
// namespaces: the host namespace's network guard does not catch
// subnet-directed broadcast, so such traffic must never be sent outside a
// lab.
//
// The prefix is mcg<pid>-<n>: the pid of the process that built the lab
// and a counter for labs of that process. Every link is created directly
// in its namespace, so nothing is ever added to the namespace of the
// process that builds the lab.
//
// Teardown: Close kills the processes left in the lab's namespaces and
// deletes the namespaces. New registers Close with tb.Cleanup, so a failing
// test tears its lab down too; New and Start also close every open lab on
// SIGINT, SIGTERM and SIGHUP before the process dies of that signal
// (Start's NoSignalHandler option turns this off). A run that was killed
// outright (SIGKILL) leaves its namespaces behind: the next New or Start,
// and CleanStale (`make clean`), delete every mcg<pid>- namespace whose
// pid is no longer alive.
//
// Building a lab needs root (CAP_SYS_ADMIN in the initial user namespace)
// and the ip (iproute2) and nft (nftables) commands. Without them New skips
// the test with a message saying so, except when CI=true, where it fails:
// CI must never pass by skipping. Start returns an error wrapping
// ErrUnsupported.
//
// Code runs in a host in two ways: Host.Command starts a process there
// (ip netns exec), and Host.Do runs a function on an OS thread switched to
// the host's namespace. Sockets opened inside Do stay in the host's
// namespace for their whole life and can be used from any goroutine after
// Do returns; goroutines started inside Do do not inherit the namespace.
package lab
