package cli

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
)

// cookieBytes is the number of random bytes in a cookie made by keygen.
const cookieBytes = 32

// NewCookie returns a fresh random cookie: cookieBytes bytes from
// crypto/rand, base64url without padding (43 characters of A-Z a-z 0-9 - _),
// so it needs no quoting in a go-discover config string.
func NewCookie() string {
	b := make([]byte, cookieBytes)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+): it crashes the program instead
	return base64.RawURLEncoding.EncodeToString(b)
}

// runKeygen prints a new cookie.
func runKeygen(e *env) error {
	if err := noArgs(e, "keygen"); err != nil {
		return err
	}
	_, err := fmt.Fprintln(e.stdout, NewCookie())
	return err
}
