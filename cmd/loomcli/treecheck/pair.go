package treecheck

import (
	"bytes"
	"errors"
	"fmt"
	"runtime"
	"sort"
	"sync"

	"golang.org/x/sys/unix"
)

// CompareDirs compares the trees a and b as Compare does, but reads each
// pair of regular files side by side and compares their bytes instead of
// hashing each: about half the work of two digests. The scans (both at
// once) open no file; each pair is opened once, for its data maps and
// its bytes. It returns the differences and a's scan (without digests).
func CompareDirs(a, b string, opt CompareOptions) (*Tree, []Diff, error) {
	type result struct {
		t   *Tree
		err error
	}
	ch := make(chan result, 1)
	go func() {
		t, err := Scan(b, Options{NoContents: true})
		ch <- result{t, err}
	}()
	ta, errA := Scan(a, Options{NoContents: true})
	rb := <-ch
	if err := errors.Join(errA, rb.err); err != nil {
		return nil, nil, err
	}
	tb := rb.t
	var contents []Diff
	if !opt.IgnoreContents {
		contents = compareContents(ta, tb)
	}
	return ta, mergeDiffs(Compare(ta, tb, opt), contents), nil
}

// compareContents records the data map of both files of every pair of
// regular files (for Compare) and compares the bytes of every pair of
// equal size, in parallel.
func compareContents(ta, tb *Tree) []Diff {
	paths := make(chan string, 256)
	var mu sync.Mutex
	var diffs []Diff
	var wg sync.WaitGroup
	for i := 0; i < 2*runtime.NumCPU(); i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			bufA, bufB := make([]byte, 1<<20), make([]byte, 1<<20)
			for p := range paths {
				ea, eb := ta.Entries[p], tb.Entries[p]
				what := ""
				same, err := sameBytes(ta.Root+"/"+p, tb.Root+"/"+p, ea, eb, bufA, bufB)
				switch {
				case err != nil:
					what = "contents unreadable: " + err.Error()
				case !same:
					what = "contents differ"
				}
				if what != "" {
					mu.Lock()
					diffs = append(diffs, Diff{Path: p, What: []string{what}})
					mu.Unlock()
				}
			}
		}()
	}
	for p, ea := range ta.Entries {
		if eb := tb.Entries[p]; eb != nil && ea.Type() == unix.S_IFREG && eb.Type() == unix.S_IFREG {
			paths <- p
		}
	}
	close(paths)
	wg.Wait()
	return diffs
}

// sameBytes opens both files, records their data maps in ea and eb, and,
// if they are of equal size, compares them over the regions that are
// data in either (holes in both read as zeros in both).
func sameBytes(pa, pb string, ea, eb *Entry, bufA, bufB []byte) (bool, error) {
	fa, err := openNoatime(pa)
	if err != nil {
		return false, err
	}
	defer unix.Close(fa)
	fb, err := openNoatime(pb)
	if err != nil {
		return false, err
	}
	defer unix.Close(fb)
	if ea.Data, err = dataMap(fa, ea.Size); err != nil {
		return false, fmt.Errorf("data map of %s: %w", pa, err)
	}
	if eb.Data, err = dataMap(fb, eb.Size); err != nil {
		return false, fmt.Errorf("data map of %s: %w", pb, err)
	}
	if ea.Size != eb.Size {
		return true, nil // Compare names the sizes
	}
	for _, x := range unionExtents(ea.Data, eb.Data) {
		for off := x.Off; off < x.Off+x.Len; {
			n := min(int64(len(bufA)), x.Off+x.Len-off)
			ga, err := preadFull(fa, bufA[:n], off)
			if err != nil {
				return false, fmt.Errorf("read %s at %d: %w", pa, off, err)
			}
			gb, err := preadFull(fb, bufB[:n], off)
			if err != nil {
				return false, fmt.Errorf("read %s at %d: %w", pb, off, err)
			}
			if ga != gb || !bytes.Equal(bufA[:ga], bufB[:gb]) {
				return false, nil
			}
			off += n
		}
	}
	return true, nil
}

// unionExtents merges two sorted extent lists.
func unionExtents(a, b []Extent) []Extent {
	all := append(append([]Extent(nil), a...), b...)
	sort.Slice(all, func(i, j int) bool { return all[i].Off < all[j].Off })
	var out []Extent
	for _, x := range all {
		if n := len(out); n > 0 && x.Off <= out[n-1].Off+out[n-1].Len {
			out[n-1].Len = max(out[n-1].Off+out[n-1].Len, x.Off+x.Len) - out[n-1].Off
			continue
		}
		out = append(out, x)
	}
	return out
}

// mergeDiffs adds extra to diffs (one Diff per path), sorted by path.
func mergeDiffs(diffs, extra []Diff) []Diff {
	if len(extra) == 0 {
		return diffs
	}
	at := map[string]int{}
	for i, d := range diffs {
		at[d.Path] = i
	}
	for _, d := range extra {
		if i, ok := at[d.Path]; ok {
			diffs[i].What = append(diffs[i].What, d.What...)
			continue
		}
		diffs = append(diffs, d)
	}
	sort.Slice(diffs, func(i, j int) bool { return diffs[i].Path < diffs[j].Path })
	return diffs
}
