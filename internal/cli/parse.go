package cli

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// ParseArgs parses a go-discover config string ("key=val key=val ...")
// into a map, exactly as github.com/hashicorp/go-discover's Parse does, with
// the same error texts, so that a retry_join string behaves the same whether
// Consul or Nomad parse it in-process or this binary parses it on the
// command line. It does not import go-discover (whose root package pulls in
// every cloud SDK); a differential test and a fuzz target in test/clitest/parse_test.go
// compare it with discover.Parse.
//
// The rules, quirks included:
//   - leading and trailing Unicode white space of the whole string is
//     trimmed; inside it the ASCII space is the only separator (a tab is
//     part of a token, and trimmed from the ends of an unquoted token);
//   - an unquoted token ends at a space or '='; a token that starts with
//     '"' runs to the matching '"', honours backslash escapes and is decoded
//     with strconv.Unquote; single quotes are ordinary characters;
//   - the string is handled as runes, so invalid UTF-8 becomes U+FFFD;
//   - an empty (or all white space) string gives a nil map and no error.
//
// One difference, in errors only: a key that comes after a secret's key
// (secretKeys) is shown as <hidden>, with a hint at the end of the message,
// since it may be a word of an unquoted secret that has spaces
// (cookie=horse battery staple makes go-discover say "battery: missing
// '='"). No part of a secret appears in an error.
func ParseArgs(s string) (map[string]string, error) {
	p := parser{src: []rune(strings.TrimSpace(s))}
	return p.parse()
}

// tokKind is the kind of a lexical token of a config string.
type tokKind uint8

const (
	tokText  tokKind = iota // a key or a value (quoted or not)
	tokEqual                // a single '='
	tokError                // a malformed quoted token; text holds the reason
)

// parser holds the remaining input of a config string.
type parser struct {
	src []rune
}

// hiddenKey stands for a key that ParseArgs does not show.
const hiddenKey = "<hidden>"

// secretKeys are the keys, of every provider, whose values are secrets.
var secretKeys = []string{"cookie", "erlang_cookie", "secret"}

// hiddenHint ends an error that hides a key.
const hiddenHint = " (<hidden>: a key after a secret such as cookie=, not shown since it may be part of the secret; double-quote a secret that has spaces or \"=\")"

// parse runs the key '=' value grammar over the tokens.
func (p *parser) parse() (map[string]string, error) {
	const (
		wantKey = iota
		wantEqual
		wantValue
	)
	m := map[string]string{}
	want := wantKey
	key := ""
	afterSecret := false // a secret's key was read: later keys may be its words
	hide := false        // key is not to be shown
	fail := func(format string, args ...any) error {
		if !hide {
			return fmt.Errorf(format, args...)
		}
		for i := range args {
			if args[i] == key {
				args[i] = hiddenKey
			}
		}
		return fmt.Errorf(format+hiddenHint, args...)
	}
	for len(p.src) > 0 {
		kind, text := p.next()
		switch want {
		case wantKey:
			switch kind {
			case tokText:
				key, hide = text, afterSecret
				afterSecret = afterSecret || slices.Contains(secretKeys, key)
				if _, dup := m[key]; dup {
					return nil, fail("%s: duplicate key", key)
				}
				want = wantEqual
			default:
				if text == "" {
					// A '=' where a key should start, as in k=a=b: key is
					// still the previous key.
					return nil, fail("%s: - equals in key's value, enclosing double-quote needed %s=\"value-with-=-symbol\"", key, key)
				}
				return nil, fail("%s: error with key=value pair %s", key, text)
			}
		case wantEqual:
			if kind != tokEqual {
				return nil, fail("%s: missing '='", key)
			}
			want = wantValue
		case wantValue:
			switch kind {
			case tokText:
				m[key] = text
				want = wantKey
			case tokError:
				return nil, fail("%s: %s", key, text)
			default:
				return nil, fail("%s: missing value", key)
			}
		}
	}
	switch want {
	case wantEqual:
		return nil, fail("%s: missing '='", key)
	case wantValue:
		return nil, fail("%s: missing value", key)
	}
	if len(m) == 0 {
		return nil, nil
	}
	return m, nil
}

// next consumes and returns the next token. Leading spaces are skipped.
// An unquoted token stops before a space or '='; a quoted one ends one
// rune after its closing quote is seen (that rune is not consumed either).
func (p *parser) next() (tokKind, string) {
	s := p.src
	i := 0
	for i < len(s) && s[i] == ' ' {
		i++
	}
	if i == len(s) {
		p.src = nil
		return tokText, ""
	}
	switch s[i] {
	case '=':
		p.src = s[i+1:]
		return tokEqual, ""
	case '"':
		return p.quoted(i)
	}
	j := i + 1
	for j < len(s) && s[j] != ' ' && s[j] != '=' {
		j++
	}
	p.src = s[j:]
	return tokText, strings.TrimSpace(string(s[i:j]))
}

// quoted lexes a double-quoted token whose opening quote is at s[start].
func (p *parser) quoted(start int) (tokKind, string) {
	s := p.src
	j := start + 1
	for ; j < len(s); j++ {
		switch s[j] {
		case '\\':
			j++
			if j == len(s) {
				p.src = nil
				return tokError, "unterminated escape sequence"
			}
		case '"':
			v, err := strconv.Unquote(string(s[start : j+1]))
			p.src = s[j+1:]
			if err != nil {
				return tokError, err.Error()
			}
			return tokText, v
		}
	}
	p.src = nil
	return tokError, "unbalanced quotes"
}
