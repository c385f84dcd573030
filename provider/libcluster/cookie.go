package libcluster

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/mcgossip/go-discover-mcgossip/provider/internal/keyfile"
)

// The secrets' sources: libcluster's secret and the Erlang cookie.

// DefaultCookieFile is the erlang_cookie_file value that means the file
// Erlang itself reads: $HOME/.erlang.cookie, or when that does not exist
// $XDG_CONFIG_HOME/erlang/.erlang.cookie (~/.config/erlang/.erlang.cookie),
// as OTP 24 and later look it up. A file named "default" is ./default.
const DefaultCookieFile = "default"

// Limits of the secrets' files.
const (
	// maxCookie is the longest Erlang cookie: an atom has at most 255
	// characters.
	maxCookie = 255
	// maxSecretFile bounds how much of a secret_file is read.
	maxSecretFile = 64 << 10
)

// parseSecret fills c.Secret and c.SecretFile from secret or secret_file.
func parseSecret(c *Config, args map[string]string) error {
	secret, hasSecret := args["secret"]
	file, hasFile := args["secret_file"]
	switch {
	case hasSecret && hasFile:
		return fmt.Errorf("discover-libcluster: invalid secret_file %q: secret and secret_file are both set; set only one (secret_file keeps the secret off command lines)", file)
	case hasSecret:
		if secret == "" {
			return errors.New("discover-libcluster: invalid secret (value not shown): must not be empty; leave it out for plain heartbeats")
		}
		c.Secret = secret
	case hasFile:
		s, err := readSecretFile(file)
		if err != nil {
			return fmt.Errorf("discover-libcluster: invalid secret_file %q: %w", file, err)
		}
		c.Secret, c.SecretFile = s, file
	}
	return nil
}

// readSecretFile returns the secret a secret_file holds: its content, with
// surrounding white space (a trailing newline) trimmed, on one line.
func readSecretFile(path string) (string, error) {
	data, _, err := keyfile.Read(path, maxSecretFile)
	if err != nil {
		return "", err
	}
	s := strings.TrimSpace(string(data))
	switch {
	case s == "":
		return "", errors.New("must hold libcluster's secret; the file is empty or blank")
	case strings.ContainsAny(s, "\r\n"):
		return "", errors.New("must hold libcluster's secret on one line (value not shown)")
	}
	return s, nil
}

// parseErlangCookie fills c.Cookie and c.CookieFile from erlang_cookie or
// erlang_cookie_file.
func parseErlangCookie(c *Config, args map[string]string) error {
	cookie, hasCookie := args["erlang_cookie"]
	file, hasFile := args["erlang_cookie_file"]
	switch {
	case hasCookie && hasFile:
		return fmt.Errorf("discover-libcluster: invalid erlang_cookie_file %q: erlang_cookie and erlang_cookie_file are both set; set only one (erlang_cookie_file keeps the cookie off command lines)", file)
	case hasCookie:
		if err := checkErlangCookie([]byte(cookie)); err != nil {
			return fmt.Errorf("discover-libcluster: invalid erlang_cookie (value not shown): %w", err)
		}
		c.Cookie = []byte(cookie)
	case hasFile:
		path, err := cookiePath(file)
		if err != nil {
			return fmt.Errorf("discover-libcluster: invalid erlang_cookie_file %q: %w", file, err)
		}
		b, err := ReadErlangCookie(path)
		if err != nil {
			return fmt.Errorf("discover-libcluster: invalid erlang_cookie_file %q: %w", file, err)
		}
		c.Cookie, c.CookieFile = b, path
	}
	return nil
}

// cookiePath returns the path erlang_cookie_file names: file itself, or
// for DefaultCookieFile the file Erlang reads.
func cookiePath(file string) (string, error) {
	if file != DefaultCookieFile {
		return file, nil
	}
	home := os.Getenv("HOME")
	if home == "" {
		return "", errors.New(`"default" is $HOME/.erlang.cookie, and HOME is not set`)
	}
	path := filepath.Join(home, ".erlang.cookie")
	if fileExists(path) {
		return path, nil
	}
	config := os.Getenv("XDG_CONFIG_HOME")
	if config == "" {
		config = filepath.Join(home, ".config")
	}
	if xdg := filepath.Join(config, "erlang", ".erlang.cookie"); fileExists(xdg) {
		return xdg, nil
	}
	return path, nil
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// ReadErlangCookie reads an Erlang cookie file as Erlang/OTP does when it
// starts distribution: the file must be accessible by its owner only (no
// permission for group or others); the cookie is its leading run of
// printable ASCII characters (space to '~', spaces included), after which
// only newlines, carriage returns and spaces may follow, and are dropped;
// an empty cookie is refused. Its errors never show the cookie.
func ReadErlangCookie(path string) ([]byte, error) {
	// The mode is checked on the file that was read (its fstat): a stat
	// of the path before opening it could describe another file.
	data, info, err := keyfile.Read(path, maxCookie+64)
	if err != nil {
		return nil, err
	}
	if perm := info.Mode().Perm(); perm&0o077 != 0 {
		return nil, fmt.Errorf("must be accessible by its owner only, as Erlang requires (mode %04o; chmod 400 or 600 it)", perm)
	}
	n := 0
	for n < len(data) && data[n] >= ' ' && data[n] <= '~' {
		n++
	}
	for _, b := range data[n:] {
		if b != '\n' && b != '\r' && b != ' ' {
			return nil, errors.New("holds a character Erlang refuses (\"Bad characters in cookie\"): the cookie is printable ASCII, then only line ends")
		}
	}
	cookie := data[:n]
	if err := checkErlangCookie(cookie); err != nil {
		return nil, fmt.Errorf("(value not shown) %w", err)
	}
	return cookie, nil
}

// checkErlangCookie says what is wrong with a cookie, without repeating
// it: 1 to 255 printable ASCII characters, what a cookie file can hold.
func checkErlangCookie(b []byte) error {
	switch {
	case len(b) == 0:
		return errors.New("must not be empty; leave it out to list every node heard")
	case len(b) > maxCookie:
		return fmt.Errorf("is %d bytes long; an Erlang cookie has at most %d characters", len(b), maxCookie)
	}
	for _, c := range b {
		if c < ' ' || c > '~' {
			return errors.New("must be printable ASCII (space to '~'), as in a .erlang.cookie file")
		}
	}
	return nil
}
