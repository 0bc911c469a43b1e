package distribute

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/loom-fs/loom/xlator"
)

// Reserve is the min-free-disk option: a percentage of each subvolume's
// size or an absolute number of bytes that new files should leave free.
type Reserve struct {
	Percent float64 // used when Bytes is 0
	Bytes   int64
}

// ParseReserve parses "10%", "10" (a percentage) or a size such as "5GB".
func ParseReserve(s string) (Reserve, error) {
	t := strings.TrimSpace(s)
	if p, err := strconv.ParseFloat(strings.TrimSuffix(t, "%"), 64); err == nil {
		if p < 0 || p > 100 {
			return Reserve{}, fmt.Errorf("%q: a percentage must be from 0 to 100", s)
		}
		return Reserve{Percent: p}, nil
	}
	n, err := xlator.ParseSize(t)
	if err != nil {
		return Reserve{}, fmt.Errorf("%q is neither a percentage (10%%) nor a size (5GB)", s)
	}
	return Reserve{Bytes: n}, nil
}

// Space is what placement knows of a subvolume's free space.
type Space struct {
	Known     bool // a statfs answer is at hand
	Total     uint64
	Available uint64
}

// Full reports whether s has less available than r asks to keep.
func (r Reserve) Full(s Space) bool {
	if !s.Known || s.Total == 0 {
		return false
	}
	if r.Bytes > 0 {
		return s.Available < uint64(r.Bytes)
	}
	return float64(s.Available)*100 < r.Percent*float64(s.Total)
}

// Place chooses the subvolume a new file goes to: the hashed one unless
// it is full by r, then the up, non-full subvolume with the most available
// space (the hashed one if every subvolume is full). up says which
// subvolumes can be used.
func Place(hashed int, spaces []Space, up []bool, r Reserve) int {
	if !r.Full(spaces[hashed]) {
		return hashed
	}
	best := hashed
	for i, s := range spaces {
		if i == hashed || !up[i] || r.Full(s) {
			continue
		}
		if best == hashed || s.Available > spaces[best].Available {
			best = i
		}
	}
	return best
}
