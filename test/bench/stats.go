package main

import (
	"math"
	"slices"
	"time"
)

// summary describes a set of durations.
type summary struct {
	N      int
	Median time.Duration
	P95    time.Duration
	Min    time.Duration
	Max    time.Duration
}

// summarize returns the median, the 95th percentile (nearest rank), the
// minimum and the maximum of ds. The median of an even count is the mean of
// the two middle values.
func summarize(ds []time.Duration) summary {
	if len(ds) == 0 {
		return summary{}
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	n := len(s)
	med := s[n/2]
	if n%2 == 0 {
		med = (s[n/2-1] + s[n/2]) / 2
	}
	return summary{N: n, Median: med, P95: s[nearestRank(n, 0.95)], Min: s[0], Max: s[n-1]}
}

// nearestRank returns the 0-based index of the p-quantile of n sorted
// values by the nearest-rank method: the smallest value with at least p of
// the values at or below it.
func nearestRank(n int, p float64) int {
	r := int(math.Ceil(p*float64(n))) - 1
	return max(0, min(n-1, r))
}
