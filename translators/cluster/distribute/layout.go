package distribute

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"sort"
)

// layoutXattr is the internal xattr each directory carries on every
// subvolume: that subvolume's share of the directory's hash space.
const layoutXattr = "loom.dht.layout"

// layoutSize is the encoded size of a Range: version, flags, start, stop,
// each a big-endian uint32.
const layoutSize = 16

// Range flags.
const (
	flagHasRange  = 1 << 0 // the subvolume owns [Start, Stop]; else nothing
	flagCommitted = 1 << 1 // every file of the directory sits where this layout says
)

// Range is one subvolume's part of a directory layout: the hashes Start to
// Stop inclusive, when Has. Version counts the layout changes of the
// directory (fix-layout increments it); Committed says that files have
// been placed (by mkdir, or by a finished rebalance of the directory) as
// this version says, so that a miss on the hashed subvolume is
// authoritative.
type Range struct {
	Version   uint32
	Has       bool
	Committed bool
	Start     uint32
	Stop      uint32
}

// Encode returns the xattr value of r.
func (r Range) Encode() []byte {
	b := make([]byte, layoutSize)
	var flags uint32
	if r.Has {
		flags |= flagHasRange
	}
	if r.Committed {
		flags |= flagCommitted
	}
	binary.BigEndian.PutUint32(b[0:], r.Version)
	binary.BigEndian.PutUint32(b[4:], flags)
	binary.BigEndian.PutUint32(b[8:], r.Start)
	binary.BigEndian.PutUint32(b[12:], r.Stop)
	return b
}

// DecodeRange parses an xattr value written by Encode.
func DecodeRange(b []byte) (Range, error) {
	if len(b) != layoutSize {
		return Range{}, fmt.Errorf("layout xattr: %d bytes, want %d", len(b), layoutSize)
	}
	flags := binary.BigEndian.Uint32(b[4:])
	r := Range{
		Version:   binary.BigEndian.Uint32(b[0:]),
		Has:       flags&flagHasRange != 0,
		Committed: flags&flagCommitted != 0,
		Start:     binary.BigEndian.Uint32(b[8:]),
		Stop:      binary.BigEndian.Uint32(b[12:]),
	}
	if r.Has && r.Stop < r.Start {
		return Range{}, fmt.Errorf("layout xattr: stop %#x before start %#x", r.Stop, r.Start)
	}
	return r, nil
}

// Layout is a directory's layout: one Range per subvolume, in subvolume
// order. A subvolume whose xattr is missing or unreadable has a zero Range.
type Layout []Range

// ErrNoSubvolume is returned by Search when no range holds the hash (a
// layout with a hole).
var ErrNoSubvolume = errors.New("no subvolume holds this hash")

// Search returns the subvolume whose range holds h.
func (l Layout) Search(h uint32) (int, error) {
	for i, r := range l {
		if r.Has && r.Start <= h && h <= r.Stop {
			return i, nil
		}
	}
	return -1, ErrNoSubvolume
}

// Problem describes what is wrong with a layout, "" when nothing is: it
// must cover the whole 32-bit space exactly once, and every range must
// have the same version.
func (l Layout) Problem() string {
	type span struct{ start, stop uint64 }
	var spans []span
	for _, r := range l {
		if r.Has {
			spans = append(spans, span{uint64(r.Start), uint64(r.Stop)})
		}
	}
	if len(spans) == 0 {
		return "no subvolume has a range"
	}
	for _, r := range l[1:] {
		if r.Version != l[0].Version {
			return "versions differ"
		}
	}
	sort.Slice(spans, func(i, j int) bool { return spans[i].start < spans[j].start })
	next := uint64(0)
	for _, s := range spans {
		switch {
		case s.start > next:
			return fmt.Sprintf("hole %#x-%#x", next, s.start-1)
		case s.start < next:
			return fmt.Sprintf("overlap at %#x", s.start)
		}
		next = s.stop + 1
	}
	if next != math.MaxUint32+1 {
		return fmt.Sprintf("hole %#x-%#x", next, uint64(math.MaxUint32))
	}
	return ""
}

// Committed reports whether every range of a sound layout is committed.
func (l Layout) Committed() bool {
	for _, r := range l {
		if !r.Committed {
			return false
		}
	}
	return len(l) > 0
}

// Spread computes a fresh layout over n subvolumes: the hash space split
// into equal parts (the first ones one larger when it does not divide)
// among the subvolumes active[i] says take part, assigned in subvolume
// order starting at the one rotate selects (rotate modulo the number of
// active subvolumes), so that directories do not all start on the same
// subvolume. Inactive subvolumes get no range. version and committed are
// set on every range. With no active subvolume it returns nil.
func Spread(active []bool, rotate uint32, version uint32, committed bool) Layout {
	var idx []int
	for i, a := range active {
		if a {
			idx = append(idx, i)
		}
	}
	l := make(Layout, len(active))
	for i := range l {
		l[i] = Range{Version: version, Committed: committed}
	}
	if len(idx) == 0 {
		return nil
	}
	k := uint64(len(idx))
	chunk := (uint64(math.MaxUint32) + 1) / k
	extra := (uint64(math.MaxUint32) + 1) % k
	first := int(uint64(rotate) % k)
	start := uint64(0)
	for j := uint64(0); j < k; j++ {
		size := chunk
		if j < extra {
			size++
		}
		i := idx[(first+int(j))%len(idx)]
		l[i].Has, l[i].Start, l[i].Stop = true, uint32(start), uint32(start+size-1)
		start += size
	}
	return l
}

// Same reports whether a and b give every subvolume the same hashes.
func Same(a, b Layout) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Has != b[i].Has || (a[i].Has && (a[i].Start != b[i].Start || a[i].Stop != b[i].Stop)) {
			return false
		}
	}
	return true
}

// MaxVersion returns the highest version in l.
func (l Layout) MaxVersion() uint32 {
	var v uint32
	for _, r := range l {
		v = max(v, r.Version)
	}
	return v
}
