package clitest

import (
	"os"
	"strings"
	"testing"

	"github.com/mcgossip/go-discover-mcgossip/provider/libcluster"
)

// TestReadmeLibclusterHelp: the README's section for Elixir and Erlang
// users shows the libcluster provider's Help() verbatim.
func TestReadmeLibclusterHelp(t *testing.T) {
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(b), "\n## Elixir and Erlang: provider=libcluster\n")
	if !ok {
		t.Fatal("README.md has no ## Elixir and Erlang: provider=libcluster section")
	}
	section, _, _ = strings.Cut(section, "\n## ")
	help := (&libcluster.Provider{}).Help()
	if !strings.Contains(section, "\n```text\n"+help+"```\n") {
		t.Errorf("the section has no fenced block of Provider.Help(); paste `go-discover-mcgossip help`'s libcluster part in:\n%s", help)
	}
}
