package clitest

import (
	"os"
	"strings"
	"testing"

	"github.com/mcgossip/go-discover-mcgossip/provider/mcgossip"
)

// TestReadmeHelp: the README's Configuration section shows Help() verbatim,
// in a fenced block, so the two never drift apart.
func TestReadmeHelp(t *testing.T) {
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(b), "\n## Configuration\n")
	if !ok {
		t.Fatal("README.md has no ## Configuration section")
	}
	section, _, _ = strings.Cut(section, "\n## ")
	help := (&mcgossip.Provider{}).Help()
	var blocks []string
	for rest := section; ; {
		_, after, ok := strings.Cut(rest, "\n```")
		if !ok {
			break
		}
		_, body, _ := strings.Cut(after, "\n") // drop the info string
		block, tail, ok := strings.Cut(body, "```")
		if !ok {
			t.Fatal("README.md's Configuration section has an unclosed fenced block")
		}
		blocks = append(blocks, block)
		rest = tail
	}
	for _, block := range blocks {
		if strings.HasPrefix(block, "mcgossip:\n") {
			if block != help {
				t.Errorf("README.md's help block differs from Provider.Help(); paste `go-discover-mcgossip help`'s provider part in.\nREADME:\n%s\nHelp():\n%s", block, help)
			}
			return
		}
	}
	t.Errorf("README.md's Configuration section has no fenced block starting with \"mcgossip:\" (Provider.Help()); it has %d blocks", len(blocks))
}
