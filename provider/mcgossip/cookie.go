package mcgossip

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// CookieEnv is the environment variable ParseConfig reads the cookie from
// when neither cookie nor cookie_file is given.
const CookieEnv = "MCGOSSIP_COOKIE"

// Cookie limits that ParseConfig enforces.
const (
	// MaxCookieLen is the longest cookie, in bytes.
	MaxCookieLen = 4096
	// MaxCookies is the most cookies a cookie_file may hold: the primary and
	// MaxCookies-1 older ones.
	MaxCookies = 8
	// maxCookieFile is the largest cookie_file, in bytes.
	maxCookieFile = 64 << 10
)

// parseCookie fills c.Cookie, c.OldCookies and c.CookieFile from cookie,
// cookie_file (through readFile, which returns a file's cookies) or the
// environment.
func parseCookie(c *Config, args map[string]string, readFile func(path string) ([]string, error)) error {
	cookie, hasCookie := args["cookie"]
	file, hasFile := args["cookie_file"]
	switch {
	case hasCookie && hasFile:
		return fmt.Errorf("discover-mcgossip: invalid cookie_file %q: cookie and cookie_file are both set; set only one (cookie_file keeps the cookie off command lines)", file)
	case hasCookie:
		if err := checkCookie(cookie); err != nil {
			return fmt.Errorf("discover-mcgossip: invalid cookie (value not shown): %w", err)
		}
		c.Cookie = cookie
	case hasFile:
		cookies, err := readFile(file)
		if err != nil {
			return fmt.Errorf("discover-mcgossip: invalid cookie_file %q: %w", file, err)
		}
		c.Cookie, c.OldCookies, c.CookieFile = cookies[0], cookies[1:], file
	default:
		if env := os.Getenv(CookieEnv); env != "" {
			if err := checkCookie(env); err != nil {
				return fmt.Errorf("discover-mcgossip: invalid %s (value not shown): %w", CookieEnv, err)
			}
			c.Cookie = env
		}
	}
	return nil
}

// checkCookie says what is wrong with a cookie, without repeating it.
func checkCookie(s string) error {
	switch {
	case s == "":
		return errors.New("must not be empty; omit it for an open group")
	case len(s) > MaxCookieLen:
		return fmt.Errorf("is %d bytes long; must be at most %d bytes", len(s), MaxCookieLen)
	}
	return nil
}

// minCookieLen is the cookie length, in characters, under which the engine
// warns that the cookie is short.
const minCookieLen = 16

// keygenHint tells where a good cookie comes from.
const keygenHint = "(go-discover-mcgossip keygen makes one)"

// cookieWarning returns a one-line warning, for the engine to log once,
// when the cookie leaves the group open or is easy to guess offline from a
// captured datagram; "" for a good cookie. It never repeats the cookie.
func cookieWarning(cookie string) string {
	if cookie == "" {
		return "no cookie set: the group is open, any host on the network can join it and read its announcements; set a cookie " + keygenHint + " to keep clusters apart"
	}
	var warn []string
	n := utf8.RuneCountInString(cookie)
	if n < minCookieLen {
		warn = append(warn, "the cookie is short ("+strconv.Itoa(n)+" characters): a captured datagram lets an attacker guess it offline; use at least "+strconv.Itoa(minCookieLen)+" random characters "+keygenHint)
	} else {
		seen := make(map[rune]struct{}, n)
		for _, r := range cookie {
			seen[r] = struct{}{}
		}
		if len(seen) < 8 {
			warn = append(warn, "the cookie has only "+strconv.Itoa(len(seen))+" distinct characters: it is easy to guess; use random characters "+keygenHint)
		}
	}
	if strings.TrimFunc(cookie, unicode.IsSpace) != cookie {
		warn = append(warn, "the cookie has leading or trailing white space, which is part of the secret; check that every node uses the same cookie")
	}
	return strings.Join(warn, "; ")
}
