package mcast

import (
	"errors"
	"net"
	"runtime"
	"slices"
	"syscall"
	"time"
)

// scanLoop rescans the interfaces, in the network namespace the transport
// was created in, on every change rtnetlink reports (and every
// watchedRescan), or else every t.rescan, until close.
func (t *Transport) scanLoop(rejoined func(string)) {
	defer t.wg.Done()
	runtime.LockOSThread()
	switched, err := t.ns.enter()
	if !switched {
		// The thread is in its original namespace: give it back.
		defer runtime.UnlockOSThread()
	}
	// A switched thread stays locked: it ends with this goroutine.
	if err != nil {
		t.log.Printf(LevelWarn, "cannot follow interface changes, the group will not be joined again if an interface comes back: %v", err)
		<-t.stop
		return
	}
	// Rescan when rtnetlink says a link or an address changed, and poll
	// only as a safety net, so that an idle engine is not woken up for
	// nothing; without the events, poll every t.rescan.
	period := t.rescan
	changed := make(chan struct{}, 1)
	var broken chan struct{}
	if w, err := newLinkWatch(); err != nil {
		t.log.Printf(LevelDebug, "%v; polling the interfaces every %v instead", err, period)
	} else {
		defer w.close()
		period = max(period, watchedRescan)
		broken = make(chan struct{})
		t.wg.Add(1)
		go func() {
			defer t.wg.Done()
			defer close(broken)
			for w.wait() == nil {
				select {
				case changed <- struct{}{}:
				default:
				}
			}
		}()
	}
	tk := time.NewTicker(period)
	defer tk.Stop()
	for {
		select {
		case <-t.stop:
			return
		case <-tk.C:
		case <-changed:
		case <-broken:
			t.log.Printf(LevelDebug, "the interface watch stopped; polling the interfaces every %v instead", t.rescan)
			broken = nil
			tk.Reset(t.rescan)
		}
		t.scan(rejoined)
	}
}

// scan compares the interfaces with the last scan and joins the group
// again on an interface that is back (up again, or a new one of the same
// name); it reports too an interface that is up and has a new address of
// the family (IPv6 gets its link-local address back only after the link
// is up, and after DAD; a unique-local one may come later), so that its
// user announces the new address at once.
func (t *Transport) scan(rejoined func(string)) {
	all, err := net.Interfaces()
	if err != nil {
		t.log.Limited(LimitIface, LevelWarn, "listing the network interfaces: %v", err)
		return
	}
	addrs := allAddrs(all)
	var back, gone []string
	var readdr []udpIface
	t.mu.Lock()
	for i := range t.ifs {
		u := &t.ifs[i]
		j := slices.IndexFunc(all, func(ifi net.Interface) bool { return ifi.Name == u.Name })
		up := j >= 0 && all[j].Flags&net.FlagUp != 0
		old := u.Addr
		if j >= 0 {
			u.setAddrs(addrs[all[j].Index], t.v6)
		} else {
			u.setAddrs(ifAddrs{}, t.v6)
		}
		switch {
		case !up && u.Up:
			u.Up = false
			gone = append(gone, u.Name)
		case up && (!u.Up || all[j].Index != u.Index):
			cur := &all[j]
			if !t.bcast {
				if u.Index != 0 && cur.Index != u.Index {
					// The old interface is gone: drop its membership from the
					// socket's list (it counts against igmp_max_memberships).
					if err := t.gpc.leave(&net.Interface{Index: u.Index, Name: u.Name}, t.group); err != nil {
						t.log.Printf(LevelDebug, "leaving %s on the old %s (index %d): %v", t.group, u.Name, u.Index, err)
					}
				}
				if err := t.gpc.join(cur, t.group); err != nil && !errors.Is(err, syscall.EADDRINUSE) {
					t.log.Limited(LimitIface, LevelWarn, "cannot join %s on %s again: %v", t.group, u.Name, err)
					continue
				}
			}
			u.Index, u.ifi, u.Up = cur.Index, cur, true
			t.sendIdx = 0 // set IP_MULTICAST_IF again on the next send
			back = append(back, u.Name)
		case up && u.Up && u.Addr != old && u.Addr.IsValid():
			readdr = append(readdr, *u)
		}
	}
	t.publishBroadcasts()
	t.mu.Unlock()
	for _, name := range gone {
		t.log.Printf(LevelWarn, "interface %s is gone or down; will join %s again when it is back", name, t.target())
	}
	for _, name := range back {
		if t.bcast {
			t.log.Printf(LevelInfo, "broadcasting on %s again", name)
		} else {
			t.log.Printf(LevelInfo, "joined %s on %s again", t.group, name)
		}
		if rejoined != nil {
			rejoined(name)
		}
	}
	for _, u := range readdr {
		t.log.Printf(LevelInfo, "interface %s now has the address %s", u.Name, u.Addr)
		if rejoined != nil {
			rejoined(u.Name)
		}
	}
}
