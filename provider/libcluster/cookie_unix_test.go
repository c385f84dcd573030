//go:build unix

package libcluster

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestParseConfigKeyFileFIFO: secret_file and erlang_cookie_file naming a
// named pipe are refused at once, naming the key (a plain open(2) of a
// pipe without a writer blocks the caller, whatever its timeout).
func TestParseConfigKeyFileFIFO(t *testing.T) {
	for _, key := range []string{"secret_file", "erlang_cookie_file"} {
		t.Run(key, func(t *testing.T) {
			fifo := filepath.Join(t.TempDir(), "fifo")
			if err := syscall.Mkfifo(fifo, 0o600); err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() {
				_, err := ParseConfig(map[string]string{key: fifo})
				done <- err
			}()
			select {
			case err := <-done:
				if err == nil || !strings.Contains(err.Error(), "invalid "+key+` "`+fifo+`": must be a regular file, not a named pipe (FIFO)`) {
					t.Errorf("%s=%s: %v; want the key named and the pipe refused", key, fifo, err)
				}
			case <-time.After(5 * time.Second):
				// Open it for writing, so the blocked open returns and the
				// goroutine ends.
				if f, err := os.OpenFile(fifo, os.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
					f.Close()
				}
				<-done
				t.Errorf("%s=%s: ParseConfig still blocked after 5s", key, fifo)
			}
		})
	}
}
