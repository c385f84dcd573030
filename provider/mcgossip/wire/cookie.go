package wire

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// MinCookieLen is the cookie length, in characters, under which CookieWarning
// warns.
const MinCookieLen = 16

// CookieWarning returns a one-line warning, for the engine to log once, when
// cookie gives little protection; it returns "" for a good cookie. It never
// repeats the cookie. It flags an empty cookie (open group), a cookie shorter
// than MinCookieLen characters, one with fewer than 8 distinct characters,
// and leading or trailing white space (often a stray newline from a file).
func CookieWarning(cookie string) string {
	if cookie == "" {
		return "no cookie set: the group is open, any host on the network can join it and read its announcements; set a long random cookie to keep clusters apart"
	}
	var warn []string
	n := utf8.RuneCountInString(cookie)
	if n < MinCookieLen {
		warn = append(warn, "the cookie is short ("+strconv.Itoa(n)+" characters): a captured datagram lets an attacker guess it offline; use at least "+strconv.Itoa(MinCookieLen)+" random characters")
	} else {
		seen := make(map[rune]struct{}, n)
		for _, r := range cookie {
			seen[r] = struct{}{}
		}
		if len(seen) < 8 {
			warn = append(warn, "the cookie has only "+strconv.Itoa(len(seen))+" distinct characters: it is easy to guess; use random characters")
		}
	}
	if strings.TrimFunc(cookie, unicode.IsSpace) != cookie {
		warn = append(warn, "the cookie has leading or trailing white space, which is part of the secret; check that every node uses the same cookie")
	}
	return strings.Join(warn, "; ")
}
