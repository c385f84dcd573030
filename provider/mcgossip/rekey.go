package mcgossip

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/mcgossip/go-discover-mcgossip/provider/mcgossip/wire"
)

// Cookie rotation in a running engine: SetCookies swaps the keyring the
// receive path opens with and the senders seal with, at once and for
// every datagram after it; nothing restarts (same instance id, counters,
// peer table and replay state). Peers that still seal with a cookie that
// was dropped are no longer heard, and expire after three intervals.

// cookieKeys are an engine's current cookies, primary first.
type cookieKeys struct {
	mu      sync.Mutex // serializes SetCookies
	cookies []string
}

// same reports whether the engine's cookies are cookies.
func (k *cookieKeys) same(cookies []string) bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	return slices.Equal(k.cookies, cookies)
}

// KeyChange tells how SetCookies or ReloadCookies changed an engine's
// keys, by key id (the 8 hex digits datagrams carry in clear), never by
// cookie.
type KeyChange struct {
	// Old and New are the key ids before and after, the primary (the
	// one that seals) first.
	Old, New []string
}

// Changed reports whether the keys changed.
func (c KeyChange) Changed() bool { return !slices.Equal(c.Old, c.New) }

// String returns "key 5e6f7a8b, older 1a2b3c4d (was key 1a2b3c4d)", or
// "unchanged: key 1a2b3c4d".
func (c KeyChange) String() string {
	if !c.Changed() {
		return "unchanged: " + keyList(c.New)
	}
	return keyList(c.New) + " (was " + keyList(c.Old) + ")"
}

// keyList describes key ids, the primary first.
func keyList(ids []string) string {
	if len(ids) == 0 {
		return "no key"
	}
	s := "key " + ids[0]
	if len(ids) > 1 {
		s += ", older " + strings.Join(ids[1:], " ")
	}
	return s
}

// keyIDs returns the ids of kr's keys, the primary first.
func keyIDs(kr *wire.Keyring) []string {
	var ids []string
	for _, k := range kr.Keys() {
		ids = append(ids, strings.TrimPrefix(k.String(), "key "))
	}
	return ids
}

// SetCookies makes cookie the engine's cookie (it seals and opens) and
// older its older cookies (they only open), as the lines of a cookie_file
// are, at once and without a restart: the instance id, the peers and the
// counters stay. On an error (an empty or too long cookie, more than
// MaxCookies) the engine keeps its keys. Errors and the returned change
// never show a cookie. The cookie's weaknesses, if any, are logged as at
// start.
func (e *Engine) SetCookies(cookie string, older ...string) (KeyChange, error) {
	cookies := []string{cookie}
	for _, c := range older {
		if !slices.Contains(cookies, c) {
			cookies = append(cookies, c)
		}
	}
	if len(cookies) > MaxCookies {
		return KeyChange{}, fmt.Errorf("discover-mcgossip: invalid cookies: %d given; at most %d are accepted (the current one and %d older ones)", len(cookies), MaxCookies, MaxCookies-1)
	}
	for i, c := range cookies {
		if err := checkCookie(c); err != nil {
			return KeyChange{}, fmt.Errorf("discover-mcgossip: invalid cookie %d (value not shown): %w", i+1, err)
		}
	}
	if e.isClosed() {
		return KeyChange{}, ErrClosed
	}
	var old []*wire.Key
	for _, c := range cookies[1:] {
		old = append(old, wire.DeriveKey(c))
	}
	kr := wire.NewKeyring(wire.DeriveKey(cookie), old...)

	e.keys.mu.Lock()
	change := KeyChange{Old: keyIDs(e.kr.Load()), New: keyIDs(kr)}
	primaryChanged := len(e.keys.cookies) == 0 || e.keys.cookies[0] != cookie
	e.kr.Store(kr)
	e.keys.cookies = cookies
	e.keys.mu.Unlock()
	if primaryChanged {
		if w := cookieWarning(cookie); w != "" {
			e.log.printf(levelWarn, "%s", w)
		}
	}
	return change, nil
}

// ErrNoCookieFile is the error of ReloadCookies on an engine whose cookie
// did not come from a cookie_file.
var ErrNoCookieFile = errors.New("discover-mcgossip: no cookie_file to read again: the cookie came from cookie= or $" + CookieEnv + " (restart to change it)")

// ReloadCookies reads the engine's cookie_file (Config.CookieFile) again
// and makes its cookies the engine's, as SetCookies does: what an agent
// does on SIGHUP. On an error (the file is gone, empty, not a regular
// file, ...) the engine keeps its keys; the error names the file, never a
// cookie. A file readable by its group or others is logged as at start.
func (e *Engine) ReloadCookies() (KeyChange, error) {
	path := e.cfg.CookieFile
	if path == "" {
		return KeyChange{}, ErrNoCookieFile
	}
	f, err := readCookieFile(path)
	if err != nil {
		return KeyChange{}, fmt.Errorf("discover-mcgossip: invalid cookie_file %q: %w", path, err)
	}
	if w := cookieFileWarning(path, f.info); w != "" {
		e.log.printf(levelWarn, "%s", w)
	}
	return e.SetCookies(f.cookies[0], f.cookies[1:]...)
}
