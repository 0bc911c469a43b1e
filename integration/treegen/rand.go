package treegen

import "encoding/binary"

// rng is a small, fast, seeded pseudo-random generator (splitmix64):
// contents and times depend only on Config.Seed.
type rng struct{ s uint64 }

func newRand(seed uint64) *rng { return &rng{s: seed*0x9E3779B97F4A7C15 + 1} }

func (r *rng) next() uint64 {
	r.s += 0x9E3779B97F4A7C15
	z := r.s
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9
	z = (z ^ (z >> 27)) * 0x94D049BB133111EB
	return z ^ (z >> 31)
}

// fill fills b with pseudo-random bytes (never a long run of zeros, so
// that no written block looks like a hole).
func (r *rng) fill(b []byte) {
	i := 0
	for ; i+8 <= len(b); i += 8 {
		binary.LittleEndian.PutUint64(b[i:], r.next()|1)
	}
	if i < len(b) {
		var tail [8]byte
		binary.LittleEndian.PutUint64(tail[:], r.next()|1)
		copy(b[i:], tail[:])
	}
}
