package fakeplugin

import (
	"bufio"
	"bytes"
	"log"
	"sync"
)

// LogBuf is a log sink whose lines a test can read; the zero value is
// ready to use.
type LogBuf struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

// Write appends p.
func (b *LogBuf) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// Logger returns a *log.Logger writing to b.
func (b *LogBuf) Logger() *log.Logger { return log.New(b, "", 0) }

// Lines returns the lines logged.
func (b *LogBuf) Lines() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []string
	sc := bufio.NewScanner(bytes.NewReader(b.buf.Bytes()))
	for sc.Scan() {
		out = append(out, sc.Text())
	}
	return out
}

// String returns everything logged.
func (b *LogBuf) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
