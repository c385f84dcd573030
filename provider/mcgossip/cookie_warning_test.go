package mcgossip

import (
	"strings"
	"testing"
)

func TestCookieWarning(t *testing.T) {
	for _, tc := range []struct {
		cookie string
		want   []string // substrings; none means no warning
	}{
		{"", []string{"no cookie set", "open", "go-discover-mcgossip keygen"}},
		{"Pa55w0rd", []string{"short (8 characters)", "at least 16"}},
		{"ßßßßßßßßßßßßßßß", []string{"short (15 characters)"}}, // 30 bytes, 15 characters
		{"aaaaaaaaaaaaaaaaaaaaaaaa", []string{"only 1 distinct characters"}},
		{" Zq3xV9mT2kLp8Rw4Yc7N", []string{"white space"}},
		{"hunter2\n", []string{"short", "white space"}},
		{"Zq3xV9mT2kLp8Rw4", nil},
		{"correct horse battery staple", nil},
	} {
		got := cookieWarning(tc.cookie)
		if (got == "") != (len(tc.want) == 0) {
			t.Errorf("cookieWarning(%q) = %q, want %q", tc.cookie, got, tc.want)
		}
		for _, w := range tc.want {
			if !strings.Contains(got, w) {
				t.Errorf("cookieWarning(%q) = %q, want it to contain %q", tc.cookie, got, w)
			}
		}
		if c := strings.TrimSpace(tc.cookie); c != "" && strings.Contains(got, c) {
			t.Errorf("cookieWarning(%q) = %q repeats the cookie", tc.cookie, got)
		}
	}
}
