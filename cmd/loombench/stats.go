package main

import "sort"

// median returns the middle of xs (the mean of the two middles for an
// even count), or 0 for none.
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	m := len(s) / 2
	if len(s)%2 == 1 {
		return s[m]
	}
	return (s[m-1] + s[m]) / 2
}

// turnOrder returns the targets in the order of round r: forward on even
// rounds, reversed on odd ones (A B C, C B A, A B C ...), so slow drifts
// in machine load fall evenly on every target.
func turnOrder[T any](ts []T, r int) []T {
	out := append([]T(nil), ts...)
	if r%2 == 1 {
		for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
			out[i], out[j] = out[j], out[i]
		}
	}
	return out
}
