package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/mcgossip/go-discover-mcgossip/internal/lab"
)

// A worker talks to the orchestrator in JSON lines on its standard output,
// one message per line, and stops when its standard input closes.
type message struct {
	// Type is "ready" (serving), "run" (one timed lookup), "result" (a
	// worker's totals) or "error".
	Type  string   `json:"type"`
	Label string   `json:"label,omitempty"` // which variant a run measured
	Ms    float64  `json:"ms,omitempty"`    // wall time of the run
	Addrs []string `json:"addrs,omitempty"` // what the run returned
	Err   string   `json:"err,omitempty"`

	// Totals of flood, victim and footprint workers.
	CPUms   float64            `json:"cpu_ms,omitempty"` // utime+stime used in the window
	WallMs  float64            `json:"wall_ms,omitempty"`
	UDP     *udpCounters       `json:"udp,omitempty"` // namespace UDP counters' change in the window
	Sent    uint64             `json:"sent,omitempty"`
	Metrics map[string]float64 `json:"metrics,omitempty"`
}

// envParentNetns carries the network namespace of the orchestrator to its
// workers, which refuse to run in it.
const envParentNetns = "MCGBENCH_PARENT_NETNS"

// emitter writes messages to standard output; safe for concurrent use.
type emitter struct {
	mu  sync.Mutex
	enc *json.Encoder
}

func newEmitter(w io.Writer) *emitter { return &emitter{enc: json.NewEncoder(w)} }

func (e *emitter) emit(m message) {
	e.mu.Lock()
	defer e.mu.Unlock()
	_ = e.enc.Encode(m)
}

// worker is a running worker process seen from the orchestrator.
type worker struct {
	name  string
	cmd   *exec.Cmd
	stdin io.WriteCloser
	msgs  chan message
	done  chan struct{} // closed when the process has exited
	err   error         // the process's exit status, after done
	log   string        // path of its standard error
	// term: stop with SIGTERM (a program such as the agent) instead of
	// closing standard input (a worker).
	term bool
}

// startWorker starts `<self> worker <args>` inside host h. Its standard
// error goes to a log file in the work directory.
func (b *bench) startWorker(h *lab.Host, name string, args ...string) (*worker, error) {
	w, err := b.startProcess(h, name, b.self, append([]string{"worker"}, args...)...)
	if w != nil {
		w.term = false
	}
	return w, err
}

// startProcess starts an arbitrary program inside host h, with the same
// plumbing as a worker (messages are parsed only if it writes JSON lines).
func (b *bench) startProcess(h *lab.Host, name, prog string, args ...string) (*worker, error) {
	logPath := fmt.Sprintf("%s/%s.log", b.work, name)
	b.mu.Lock()
	if b.stopping {
		b.mu.Unlock()
		return nil, errors.New("the run is being stopped")
	}
	lf, err := os.Create(logPath)
	b.mu.Unlock()
	if err != nil {
		return nil, err
	}
	cmd := h.Command(context.Background(), prog, args...)
	cmd.Env = append(os.Environ(), envParentNetns+"="+b.netns)
	cmd.Stderr = lf
	// Die with the orchestrator even if it is killed outright; lab.Close
	// also kills whatever is left in the namespaces.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		lf.Close()
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		lf.Close()
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		lf.Close()
		return nil, fmt.Errorf("starting %s in %s: %w", name, h.Name, err)
	}
	w := &worker{name: name, cmd: cmd, stdin: stdin, msgs: make(chan message, 1024), done: make(chan struct{}), log: logPath, term: true}
	go func() {
		sc := bufio.NewScanner(stdout)
		sc.Buffer(make([]byte, 1<<20), 1<<24)
		for sc.Scan() {
			var m message
			if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
				m = message{Type: "text", Err: sc.Text()}
			}
			w.msgs <- m
		}
		close(w.msgs)
		w.err = cmd.Wait()
		lf.Close()
		close(w.done)
	}()
	b.track(w)
	return w, nil
}

// pid returns the worker's process id as a /proc path element.
func (w *worker) pid() string { return fmt.Sprint(w.cmd.Process.Pid) }

// next returns the worker's next message, or an error when it exits or
// says nothing for d.
func (w *worker) next(d time.Duration) (message, error) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case m, ok := <-w.msgs:
		if !ok {
			<-w.done
			return message{}, fmt.Errorf("%s exited (%v); see %s%s", w.name, w.err, w.log, w.tail())
		}
		if m.Type == "error" {
			return m, fmt.Errorf("%s: %s", w.name, m.Err)
		}
		return m, nil
	case <-t.C:
		return message{}, fmt.Errorf("%s said nothing for %v; see %s%s", w.name, d, w.log, w.tail())
	}
}

// waitReady waits for the worker's "ready" message.
func (w *worker) waitReady(d time.Duration) error {
	for {
		m, err := w.next(d)
		if err != nil {
			return err
		}
		if m.Type == "ready" {
			return nil
		}
	}
}

// collect returns the worker's messages until it exits, or an error when
// it fails or runs longer than d.
func (w *worker) collect(d time.Duration) ([]message, error) {
	deadline := time.Now().Add(d)
	var out []message
	for {
		left := time.Until(deadline)
		if left <= 0 {
			w.kill()
			return out, fmt.Errorf("%s ran longer than %v; see %s", w.name, d, w.log)
		}
		m, err := w.next(left)
		if err != nil {
			if m.Type == "error" {
				w.stop(5 * time.Second)
				return out, err
			}
			select {
			case <-w.done:
				if w.err == nil {
					return out, nil
				}
			default:
			}
			return out, err
		}
		out = append(out, m)
	}
}

// stop closes the worker's standard input (its signal to shut down), or
// sends SIGTERM to a program, and waits up to d for it to exit, then kills
// it.
func (w *worker) stop(d time.Duration) error {
	_ = w.stdin.Close()
	if w.term {
		_ = w.cmd.Process.Signal(syscall.SIGTERM)
	}
	select {
	case <-w.done:
		return w.err
	case <-time.After(d):
		w.kill()
		return fmt.Errorf("%s did not exit within %v of its input closing; killed", w.name, d)
	}
}

// kill kills the worker and waits for it.
func (w *worker) kill() {
	_ = w.cmd.Process.Kill()
	<-w.done
}

// tail returns the last lines of the worker's log, for error messages.
func (w *worker) tail() string {
	b, err := os.ReadFile(w.log)
	if err != nil || len(b) == 0 {
		return ""
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > 8 {
		lines = lines[len(lines)-8:]
	}
	return ":\n    " + strings.Join(lines, "\n    ")
}

// stopAll stops workers concurrently.
func stopAll(ws []*worker) error {
	var wg sync.WaitGroup
	errs := make([]error, len(ws))
	for i, w := range ws {
		wg.Go(func() { errs[i] = w.stop(10 * time.Second) })
	}
	wg.Wait()
	return errors.Join(errs...)
}
