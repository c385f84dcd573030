package mcgossip_test

import (
	"bufio"
	"os"
	"slices"
	"strings"
	"testing"
)

// TestModuleRequirements: the provider module requires golang.org/x/crypto,
// x/net and x/sys and nothing else, so a program that embeds the provider
// gets nothing more in its build (no gRPC, no cloud SDK).
func TestModuleRequirements(t *testing.T) {
	f, err := os.Open("../go.mod")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var got []string
	block := false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line, _, _ := strings.Cut(sc.Text(), "//")
		fields := strings.Fields(line)
		switch {
		case len(fields) == 0:
		case block && fields[0] == ")":
			block = false
		case block:
			got = append(got, fields[0])
		case fields[0] == "require" && len(fields) > 1 && fields[1] == "(":
			block = true
		case fields[0] == "require" && len(fields) >= 3:
			got = append(got, fields[1])
		case fields[0] == "replace":
			t.Errorf("go.mod has a replace directive, which embedders would not get: %s", sc.Text())
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	slices.Sort(got)
	if want := []string{"golang.org/x/crypto", "golang.org/x/net", "golang.org/x/sys"}; !slices.Equal(got, want) {
		t.Errorf("the provider module requires %q, want exactly %q", got, want)
	}
}
