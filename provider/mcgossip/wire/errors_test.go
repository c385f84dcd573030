package wire_test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/mcgossip/go-discover-mcgossip/provider/mcgossip/wire"
)

func TestReasons(t *testing.T) {
	sentinels := []error{wire.ErrShort, wire.ErrMagic, wire.ErrVersion, wire.ErrType, wire.ErrTooLarge,
		wire.ErrUnknownKey, wire.ErrAuth, wire.ErrBody}
	names := []string{"short", "magic", "version", "type", "too_large", "unknown_key", "auth", "body"}
	reasons := wire.Reasons()
	want := []wire.Reason{wire.ReasonShort, wire.ReasonMagic, wire.ReasonVersion, wire.ReasonType,
		wire.ReasonTooLarge, wire.ReasonUnknownKey, wire.ReasonAuth, wire.ReasonBody}
	if !slices.Equal(reasons, want) {
		t.Fatalf("Reasons() = %v, want %v", reasons, want)
	}
	reasons[0] = 0
	if wire.Reasons()[0] != wire.ReasonShort {
		t.Errorf("Reasons shares its slice")
	}
	for i, r := range want {
		if r == 0 {
			t.Errorf("reason %d is the zero Reason", i)
		}
		if got := r.String(); got != names[i] {
			t.Errorf("%d.String() = %q, want %q", r, got, names[i])
		}
		err := sentinels[i]
		if got := wire.ReasonOf(err); got != r {
			t.Errorf("ReasonOf(%v) = %v, want %v", err, got, r)
		}
		if got := wire.ReasonOf(fmt.Errorf("from 1.2.3.4: %w", err)); got != r {
			t.Errorf("ReasonOf(wrapped %v) = %v, want %v", err, got, r)
		}
		if !strings.HasPrefix(err.Error(), "wire: ") {
			t.Errorf("error %q lacks the wire: prefix", err)
		}
	}
	if got := wire.ReasonOf(nil); got != 0 {
		t.Errorf("ReasonOf(nil) = %v", got)
	}
	if got := wire.ReasonOf(errors.New("something else")); got != 0 {
		t.Errorf("ReasonOf(other) = %v", got)
	}
	if got, want := wire.Reason(0).String(), "none"; got != want {
		t.Errorf("Reason(0).String() = %q, want %q", got, want)
	}
	if got, want := wire.Reason(200).String(), "reason(200)"; got != want {
		t.Errorf("Reason(200).String() = %q, want %q", got, want)
	}
}
