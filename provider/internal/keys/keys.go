// Package keys parses the go-discover key=value arguments of the providers
// alike: one error style ("discover-<provider>: invalid <key> "<value>":
// <what is accepted>"), unknown keys refused with a suggestion, and the
// value types more than one provider has (durations, interface lists).
package keys

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"
)

// Parser checks the arguments of one provider.
type Parser struct {
	// Prefix starts every error, such as "discover-mcgossip".
	Prefix string
	// Keys are the accepted keys, sorted.
	Keys []string
	// Secrets are the keys whose values are secret, such as mcgossip's
	// cookie. When one is among the arguments, CheckKeys counts unknown
	// keys without naming them: in a config string they may be the words
	// of a secret with a space that was not quoted ("cookie=horse
	// battery=staple").
	Secrets []string
}

// Invalid returns the error for a value of key that is not accepted:
// `<prefix>: invalid <key> "<value>": <accepted>`. Never pass a secret as
// value.
func (p Parser) Invalid(key, value, accepted string) error {
	return fmt.Errorf("%s: invalid %s %q: %s", p.Prefix, key, value, accepted)
}

// CheckKeys returns an error naming every key of args that is not
// accepted, each with the accepted key it is closest to, if one is close,
// and the list of accepted keys; nil if all are accepted. Beside a secret
// (see Secrets) it counts them instead of naming them.
func (p Parser) CheckKeys(args map[string]string) error {
	var unknown []string
	secret := ""
	for k := range args {
		if !slices.Contains(p.Keys, k) {
			unknown = append(unknown, k)
		}
		if slices.Contains(p.Secrets, k) {
			secret = k
		}
	}
	if len(unknown) == 0 {
		return nil
	}
	if secret != "" {
		what := "an unknown key"
		if len(unknown) > 1 {
			what = fmt.Sprintf("%d unknown keys", len(unknown))
		}
		return fmt.Errorf("%s: %s, not shown because it may be part of the %s (double-quote a %s that has spaces or \"=\", or use a file): accepted keys are %s",
			p.Prefix, what, secret, secret, strings.Join(p.Keys, ", "))
	}
	slices.Sort(unknown)
	var b strings.Builder
	b.WriteString(p.Prefix + ": unknown key")
	if len(unknown) > 1 {
		b.WriteString("s")
	}
	for i, k := range unknown {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, " %q", k)
		if s := p.Suggest(k); s != "" {
			fmt.Fprintf(&b, " (did you mean %q?)", s)
		}
	}
	b.WriteString(": accepted keys are ")
	b.WriteString(strings.Join(p.Keys, ", "))
	return errors.New(b.String())
}

// Suggest returns the accepted key closest to k, if it is close.
func (p Parser) Suggest(k string) string {
	k = strings.ToLower(k)
	best, bestD := "", max(2, len(k)/4)+1
	for _, a := range p.Keys {
		if d := editDistance(k, a); d < bestD {
			best, bestD = a, d
		}
	}
	return best
}

// editDistance is the optimal string alignment distance: insertions,
// deletions, substitutions and transpositions of adjacent bytes.
func editDistance(a, b string) int {
	d := make([][]int, len(a)+1)
	for i := range d {
		d[i] = make([]int, len(b)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(a); i++ {
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(a)][len(b)]
}

// Duration returns the duration of args[key], def when the key is absent,
// or an Invalid error unless it parses and lies from lo to hi.
func (p Parser) Duration(args map[string]string, key string, def, lo, hi time.Duration) (time.Duration, error) {
	v, ok := args[key]
	if !ok {
		return def, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < lo || d > hi {
		return 0, p.Invalid(key, v, AcceptDuration(lo, hi))
	}
	return d, nil
}

// AcceptDuration is what a duration key from lo to hi accepts.
func AcceptDuration(lo, hi time.Duration) string {
	return fmt.Sprintf("must be a duration such as \"5s\" or \"250ms\", from %v to %v", FormatDuration(lo), FormatDuration(hi))
}

// FormatDuration prints a limit briefly: 1h rather than 1h0m0s.
func FormatDuration(d time.Duration) string {
	s := d.String()
	s = strings.TrimSuffix(s, "0s")
	s = strings.TrimSuffix(s, "0m")
	if s == "" {
		return "0s"
	}
	return s
}

// Interfaces splits a comma-separated list of interface names and checks
// it (see CheckInterfaces).
func Interfaces(v string) ([]string, error) {
	names := strings.Split(v, ",")
	if err := CheckInterfaces(names); err != nil {
		return nil, err
	}
	return names, nil
}

// CheckInterfaces says what is wrong with a list of interface names: an
// empty one, one that cannot be an interface name, or one listed twice.
func CheckInterfaces(names []string) error {
	for i, n := range names {
		switch {
		case n == "":
			return errors.New(`must be a comma-separated list of interface names, such as "eth0" or "eth0,eth1", without empty entries`)
		case len(n) > 15 || n == "." || n == ".." || strings.ContainsAny(n, "/:,") || strings.ContainsFunc(n, unicode.IsSpace):
			return fmt.Errorf("%q is not an interface name: at most 15 characters, no space, '/' or ':'", n)
		case slices.Contains(names[:i], n):
			return fmt.Errorf("%q is listed twice", n)
		}
	}
	return nil
}
