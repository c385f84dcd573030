package lab

import (
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"
)

// open is the set of labs of this process that are not closed yet.
var open struct {
	sync.Mutex
	labs map[*Lab]struct{}
}

func register(l *Lab) {
	open.Lock()
	defer open.Unlock()
	if open.labs == nil {
		open.labs = map[*Lab]struct{}{}
	}
	open.labs[l] = struct{}{}
}

func unregister(l *Lab) {
	open.Lock()
	defer open.Unlock()
	delete(open.labs, l)
}

// closeAll closes every open lab of this process.
func closeAll() {
	open.Lock()
	labs := make([]*Lab, 0, len(open.labs))
	for l := range open.labs {
		labs = append(labs, l)
	}
	open.Unlock()
	for _, l := range labs {
		_ = l.Close()
	}
}

var signalOnce sync.Once

// installSignalHandler makes SIGINT, SIGTERM and SIGHUP close every open
// lab and then kill the process as the signal would have. A signal the
// process ignores (nohup) stays ignored.
func installSignalHandler() {
	signalOnce.Do(func() {
		var sigs []os.Signal
		for _, s := range []os.Signal{syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP} {
			if !signal.Ignored(s) {
				sigs = append(sigs, s)
			}
		}
		if len(sigs) == 0 {
			return
		}
		c := make(chan os.Signal, 1)
		signal.Notify(c, sigs...)
		go func() {
			s := (<-c).(syscall.Signal)
			closeAll()
			// Die of the signal itself, so the parent sees the usual status.
			signal.Reset(sigs...)
			_ = syscall.Kill(os.Getpid(), s)
			time.Sleep(time.Second) // the signal is on its way; exit if it was blocked
			os.Exit(128 + int(s))
		}()
	})
}
