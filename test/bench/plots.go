package main

import (
	"fmt"
	"image/color"
	"math"
	"os"
	"path/filepath"
	"slices"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// The plots of the latency section, written as SVG beside the report by
// gonum/plot: lookup latency against N (log scales), completeness against
// loss, and the distribution of lookup latency at one N.

// Plot files, relative to the report's directory.
const (
	plotDir     = "docs/bench"
	plotLatency = plotDir + "/latency.svg"
	plotLoss    = plotDir + "/completeness.svg"
	plotCDF     = plotDir + "/cdf.svg"
	plotCDFN    = 1000 // the N of the CDF
	plotWidth   = 16 * vg.Centimeter
	plotHeight  = 10 * vg.Centimeter
)

// series styles: mcgossip, the mdns provider, the one-shot CLI.
var (
	colMCG  = color.RGBA{R: 0x1f, G: 0x77, B: 0xb4, A: 0xff}
	colMDNS = color.RGBA{R: 0xd6, G: 0x27, B: 0x28, A: 0xff}
	colCLI  = color.RGBA{R: 0x2c, G: 0xa0, B: 0x2c, A: 0xff}
)

// writePlots writes the plots next to the report at out and returns the
// paths written, relative to the report's directory.
func (r *results) writePlots(out string) ([]string, error) {
	dir := filepath.Dir(out)
	if err := os.MkdirAll(filepath.Join(dir, plotDir), 0o755); err != nil {
		return nil, err
	}
	var wrote []string
	for _, p := range []struct {
		path string
		make func() (*plot.Plot, error)
	}{
		{plotLatency, r.latencyPlot}, {plotLoss, r.lossPlot}, {plotCDF, r.cdfPlot},
	} {
		pl, err := p.make()
		if err != nil {
			return wrote, fmt.Errorf("%s: %w", p.path, err)
		}
		if pl == nil {
			continue // nothing to draw in this run
		}
		if err := pl.Save(plotWidth, plotHeight, filepath.Join(dir, p.path)); err != nil {
			return wrote, fmt.Errorf("%s: %w", p.path, err)
		}
		wrote = append(wrote, p.path)
	}
	return wrote, nil
}

// latencyPlot is the median lookup latency against N without loss, with
// the p95 as error bars, log scales.
func (r *results) latencyPlot() (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = "Cold lookup latency, no loss (median, bars to p95)"
	p.X.Label.Text = "responders N"
	p.Y.Label.Text = "latency (ms)"
	p.X.Scale, p.Y.Scale = plot.LogScale{}, plot.LogScale{}
	p.X.Tick.Marker = plot.LogTicks{Prec: -1}
	p.Y.Tick.Marker = plot.LogTicks{Prec: -1}
	p.Legend.Top, p.Legend.Left = true, true
	p.Legend.TextStyle.Font.Size = vg.Points(9)
	p.Y.Max = 100_000 // room above mdns's 5 s for the legend
	drawn := false
	for _, s := range []struct {
		kind, label string
		col         color.Color
	}{
		{kindMCG, "mcgossip (in process)", colMCG},
		{kindCLI, "mcgossip, one-shot addrs process", colCLI},
		{kindMDNS, fmt.Sprintf("go-discover mdns provider (timeout=%s)", r.Config.mdnsTimeout), colMDNS},
		{kindMDNSDef, "go-discover mdns provider (its defaults)", blend(colMDNS, 0.5)},
	} {
		var pts plotter.XYs
		var bars plotter.YErrors
		for _, n := range r.Config.ns {
			row, ok := r.row(s.kind, n, 0)
			if !ok || row.Sum.N == 0 || n == 0 {
				continue
			}
			med, hi := ms(row.Sum.Median), ms(row.Sum.P95)
			pts = append(pts, plotter.XY{X: float64(n), Y: med})
			bars = append(bars, struct{ Low, High float64 }{0, hi - med})
		}
		if len(pts) == 0 {
			continue
		}
		if err := addLine(p, s.label, s.col, pts); err != nil {
			return nil, err
		}
		eb := &plotter.YErrorBars{XYs: pts, YErrors: bars, LineStyle: draw.LineStyle{Color: s.col, Width: vg.Points(1)}, CapWidth: vg.Points(4)}
		p.Add(eb)
		drawn = true
	}
	if !drawn {
		return nil, nil
	}
	return p, nil
}

// lossPlot is the mean share found against loss, one line per N, for
// mcgossip (solid) and the mdns provider (dashed).
func (r *results) lossPlot() (*plot.Plot, error) {
	if len(r.Config.losses) < 2 {
		return nil, nil
	}
	p := plot.New()
	p.Title.Text = "Completeness against loss (mean share of N found)"
	p.X.Label.Text = "loss each way (%)"
	p.Y.Label.Text = "found (%)"
	p.Y.Min, p.Y.Max = 0, 105
	p.Legend.Top, p.Legend.Left = false, true
	p.Legend.YOffs = plotHeight / 4
	p.Legend.TextStyle.Font.Size = vg.Points(9)
	ns := r.Config.ns
	drawn := false
	for i, n := range ns {
		shade := shadeOf(i, len(ns))
		for _, s := range pairOf(shade) {
			var pts plotter.XYs
			for _, loss := range r.Config.losses {
				if row, ok := r.row(s.kind, n, loss); ok && len(row.Shares) > 0 {
					pts = append(pts, plotter.XY{X: float64(loss), Y: 100 * row.meanShare()})
				}
			}
			if len(pts) == 0 {
				continue
			}
			l, sc, err := plotter.NewLinePoints(pts)
			if err != nil {
				return nil, err
			}
			l.Color, sc.Color = s.col, s.col
			if s.dash {
				l.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
			}
			p.Add(l, sc)
			// One entry a kind: the darkest line is the smallest N.
			if i == 0 {
				p.Legend.Add(fmt.Sprintf("%s, N=%d (dark) to %d (light)", s.name, ns[0], ns[len(ns)-1]), l, sc)
			}
			drawn = true
		}
	}
	if !drawn {
		return nil, nil
	}
	return p, nil
}

// cdfPlot is the distribution of cold lookup latency at N = plotCDFN, one
// line per loss, mcgossip and (dashed) the mdns provider.
func (r *results) cdfPlot() (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = fmt.Sprintf("Cold lookup latency at N=%d (CDF)", plotCDFN)
	p.X.Label.Text = "latency (ms)"
	p.Y.Label.Text = "share of lookups (%)"
	p.X.Scale = plot.LogScale{}
	p.X.Tick.Marker = plot.LogTicks{Prec: -1}
	p.Y.Min, p.Y.Max = 0, 100
	p.X.Min, p.X.Max = 5, 5000 // the legend sits left of the fastest lookups
	p.Legend.Left, p.Legend.Top = true, true
	p.Legend.TextStyle.Font.Size = vg.Points(9)
	drawn := false
	for i, loss := range r.Config.losses {
		shade := shadeOf(i, len(r.Config.losses))
		for _, s := range pairOf(shade) {
			row, ok := r.row(s.kind, plotCDFN, loss)
			if !ok || len(row.Ms) == 0 {
				continue
			}
			pts := cdf(row.Ms)
			l, err := plotter.NewLine(pts)
			if err != nil {
				return nil, err
			}
			l.StepStyle = plotter.PostStep
			l.Color, l.Width = s.col, vg.Points(1.5)
			if s.dash {
				l.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
			}
			p.Add(l)
			p.Legend.Add(fmt.Sprintf("%s, %d%% loss", s.name, loss), l)
			drawn = true
		}
	}
	if !drawn {
		return nil, nil
	}
	return p, nil
}

// pairSeries is one of the two lines of a pair: mcgossip (solid) and the
// mdns provider (dashed), lightened by a shade.
type pairSeries struct {
	kind, name string
	col        color.Color
	dash       bool
}

func pairOf(shade float64) []pairSeries {
	return []pairSeries{{kindMCG, "mcgossip", blend(colMCG, shade), false}, {kindMDNS, "mdns provider", blend(colMDNS, shade), true}}
}

// cdf returns the empirical distribution of v: (value, share at or below
// it in %), starting at 0%.
func cdf(v []float64) plotter.XYs {
	s := slices.Clone(v)
	slices.Sort(s)
	pts := plotter.XYs{{X: math.Max(s[0], 0.1), Y: 0}}
	for i, x := range s {
		pts = append(pts, plotter.XY{X: math.Max(x, 0.1), Y: 100 * float64(i+1) / float64(len(s))})
	}
	return pts
}

// addLine adds a line with points and a legend entry.
func addLine(p *plot.Plot, label string, col color.Color, pts plotter.XYs) error {
	l, sc, err := plotter.NewLinePoints(pts)
	if err != nil {
		return err
	}
	l.Color, l.Width, sc.Color = col, vg.Points(1.5), col
	p.Add(l, sc)
	p.Legend.Add(label, l, sc)
	return nil
}

// shadeOf returns 0 for the first of k series and up to 0.6 for the last:
// how far to lighten its colour.
func shadeOf(i, k int) float64 {
	if k <= 1 {
		return 0
	}
	return 0.6 * float64(i) / float64(k-1)
}

// blend lightens c towards white by f (0 to 1).
func blend(c color.RGBA, f float64) color.RGBA {
	mix := func(v uint8) uint8 { return uint8(float64(v) + f*(255-float64(v))) }
	return color.RGBA{R: mix(c.R), G: mix(c.G), B: mix(c.B), A: 0xff}
}
