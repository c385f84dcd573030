package wire_test

import (
	"strings"
	"testing"

	"github.com/mcgossip/go-discover-mcgossip/provider/mcgossip/wire"
)

func TestCookieWarning(t *testing.T) {
	cases := []struct {
		cookie string
		want   []string // substrings; none means no warning
	}{
		{"", []string{"no cookie set", "open"}},
		{"Pa55w0rd", []string{"short (8 characters)", "at least 16"}},
		{"ßßßßßßßßßßßßßßß", []string{"short (15 characters)"}}, // 30 bytes, 15 characters
		{"aaaaaaaaaaaaaaaaaaaaaaaa", []string{"only 1 distinct characters"}},
		{"abcabcabcabcabcabcabc", []string{"only 3 distinct"}},
		{"Zq3xV9mT2kLp8Rw4Yc7N\n", []string{"white space"}},
		{" Zq3xV9mT2kLp8Rw4Yc7N", []string{"white space"}},
		{"hunter2\n", []string{"short", "white space"}},
		{"Zq3xV9mT2kLp8Rw4", nil},
		{"correct horse battery staple", nil},
		{"Zq3xV9mT2kLp8Rw4Yc7NbH6sJd5Fg1Ua", nil},
	}
	for _, tc := range cases {
		t.Run(tc.cookie, func(t *testing.T) {
			got := wire.CookieWarning(tc.cookie)
			if len(tc.want) == 0 {
				if got != "" {
					t.Errorf("CookieWarning(%q) = %q, want none", tc.cookie, got)
				}
				return
			}
			for _, w := range tc.want {
				if !strings.Contains(got, w) {
					t.Errorf("CookieWarning(%q) = %q, want it to contain %q", tc.cookie, got, w)
				}
			}
			if strings.Contains(got, "keygen") || strings.Contains(got, "command") {
				t.Errorf("CookieWarning(%q) = %q speaks of a command: the wording is the caller's", tc.cookie, got)
			}
			if tc.cookie != "" && strings.Contains(got, strings.TrimSpace(tc.cookie)) {
				t.Errorf("CookieWarning(%q) = %q repeats the cookie", tc.cookie, got)
			}
		})
	}
}
