package locks

import (
	"math"
	"slices"
	"syscall"

	"github.com/loom-fs/loom/xlator"
)

// toEOF is the end of a range that runs to the end of the file (a length
// of 0 in a Flock).
const toEOF = math.MaxInt64

// span is a byte range with an inclusive end; end toEOF means "to the end
// of the file, however long it grows".
type span struct {
	start, end int64
}

// spanOf converts a Flock's start and length to a span, as fcntl(2) reads
// them: length 0 runs to EOF, a negative length covers the bytes before
// start. A negative start is EINVAL, a range past the largest offset is
// EOVERFLOW.
func spanOf(lk xlator.Flock) (span, error) {
	switch {
	case lk.Start < 0:
		return span{}, syscall.EINVAL
	case lk.Len == 0:
		return span{lk.Start, toEOF}, nil
	case lk.Len > 0:
		if lk.Len-1 > toEOF-lk.Start {
			return span{}, syscall.EOVERFLOW
		}
		return span{lk.Start, lk.Start + lk.Len - 1}, nil
	}
	if lk.Start+lk.Len < 0 {
		return span{}, syscall.EINVAL
	}
	return span{lk.Start + lk.Len, lk.Start - 1}, nil
}

// length returns the Flock length of s (0 for a range to EOF).
func (s span) length() int64 {
	if s.end == toEOF {
		return 0
	}
	return s.end - s.start + 1
}

// overlaps reports whether s and o share a byte.
func (s span) overlaps(o span) bool { return s.start <= o.end && o.start <= s.end }

// adjacent reports whether o begins right after s ends.
func (s span) adjacent(o span) bool { return s.end != toEOF && s.end+1 == o.start }

// applyPosix returns the locks of one owner after that owner asks for req
// as POSIX fcntl(2) defines it: whatever part of owned req covers is
// replaced (split off where req ends inside a lock; removed for an
// Unlock), and the result is coalesced so that adjacent or overlapping
// locks of the same type become one. owned must hold only req's owner's
// locks, disjoint; the result is sorted by start. A lock merged with req
// takes req's pid.
func applyPosix(owned []lockRec, req lockRec) []lockRec {
	out := make([]lockRec, 0, len(owned)+2)
	for _, l := range owned {
		if !l.span.overlaps(req.span) {
			out = append(out, l)
			continue
		}
		if l.span.start < req.span.start {
			left := l
			left.span.end = req.span.start - 1
			out = append(out, left)
		}
		if l.span.end > req.span.end {
			right := l
			right.span.start = req.span.end + 1
			out = append(out, right)
		}
	}
	if req.typ != xlator.Unlock {
		out = append(out, req)
	}
	slices.SortFunc(out, func(a, b lockRec) int {
		switch {
		case a.span.start < b.span.start:
			return -1
		case a.span.start > b.span.start:
			return 1
		}
		return 0
	})
	merged := out[:0]
	for _, l := range out {
		if n := len(merged); n > 0 && merged[n-1].typ == l.typ &&
			(merged[n-1].span.overlaps(l.span) || merged[n-1].span.adjacent(l.span)) {
			merged[n-1].span.end = max(merged[n-1].span.end, l.span.end)
			merged[n-1].pid = req.pid
			continue
		}
		merged = append(merged, l)
	}
	return merged
}
