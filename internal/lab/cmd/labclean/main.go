// Command labclean deletes the network namespaces that test labs left
// behind (runs killed before their cleanup). By default it deletes only
// the namespaces of processes that are gone; -all deletes every lab
// namespace, those of running tests too.
//
//	go run ./internal/lab/cmd/labclean [-all]
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/mcgossip/go-discover-mcgossip/internal/lab"
)

func main() {
	all := flag.Bool("all", false, "delete every lab namespace (mcg<pid>-*), also those of running processes")
	flag.Parse()
	if flag.NArg() > 0 {
		fmt.Fprintln(os.Stderr, "usage: labclean [-all]")
		os.Exit(2)
	}
	clean := lab.CleanStale
	if *all {
		clean = lab.CleanAll
	}
	names, err := clean()
	for _, n := range names {
		fmt.Println("deleted namespace", n)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "labclean:", err)
		os.Exit(1)
	}
	fmt.Printf("labclean: %d lab namespaces deleted\n", len(names))
}
