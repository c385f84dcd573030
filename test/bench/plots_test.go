package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestWritePlots draws the three plots of a made-up run and checks that
// each is an SVG that names what it shows.
func TestWritePlots(t *testing.T) {
	r := &results{Config: config{ns: []int{1, 50, 1000}, losses: []int{0, 30}, mdnsTimeout: time.Second}}
	for _, n := range r.Config.ns {
		for _, loss := range r.Config.losses {
			for _, kind := range []string{kindMCG, kindMDNS, kindCLI} {
				ms := []float64{5 + float64(n)/10, 7 + float64(n)/10, 9 + float64(n)/10 + float64(loss)}
				row := lookupRow(kind, n, loss, nil, nil)
				row.Ms = ms
				for range ms {
					row.Shares = append(row.Shares, 1-float64(loss)/1000)
				}
				var ds []time.Duration
				for _, v := range ms {
					ds = append(ds, time.Duration(v*float64(time.Millisecond)))
				}
				row.Sum = summarize(ds)
				r.Latency = append(r.Latency, row)
			}
		}
	}
	out := filepath.Join(t.TempDir(), "BENCHMARKS.md")
	wrote, err := r.writePlots(out)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{plotLatency: "latency", plotLoss: "Completeness", plotCDF: "CDF"}
	if len(wrote) != len(want) {
		t.Fatalf("wrote %v, want %d plots", wrote, len(want))
	}
	for _, p := range wrote {
		b, err := os.ReadFile(filepath.Join(filepath.Dir(out), p))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(b), "<svg") || !strings.Contains(string(b), want[p]) {
			t.Errorf("%s is not an SVG naming %q", p, want[p])
		}
	}
	r.Plots = wrote
	r.Config.sections = map[string]bool{"latency": true}
	md := r.markdown()
	for _, p := range wrote {
		if !strings.Contains(md, "]("+p+")") {
			t.Errorf("the report does not show %s", p)
		}
	}
}
