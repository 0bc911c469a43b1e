package fuse

import (
	"crypto/rand"
	"sync"

	"github.com/loom-fs/loom/xlator"
)

// gfidBatch is how many GFIDs one read of the random source gives.
const gfidBatch = 256

// gfidSource hands out random (version 4) GFIDs, as xlator.NewGFID does,
// from a buffer refilled from crypto/rand gfidBatch at a time. Every
// LOOKUP and every new entry needs one, and reading the random source per
// GFID cost a getrandom system call per request (seen with strace).
type gfidSource struct {
	mu  sync.Mutex
	buf [gfidBatch * 16]byte
	off int // next unused byte; len(buf) when empty
}

func newGFIDSource() *gfidSource {
	s := &gfidSource{}
	s.off = len(s.buf)
	return s
}

// next returns a new random GFID.
func (s *gfidSource) next() xlator.GFID {
	var g xlator.GFID
	s.mu.Lock()
	if s.off == len(s.buf) {
		if _, err := rand.Read(s.buf[:]); err != nil {
			s.mu.Unlock()
			return xlator.NewGFID() // which panics as crypto/rand does
		}
		s.off = 0
	}
	copy(g[:], s.buf[s.off:])
	clear(s.buf[s.off : s.off+16])
	s.off += 16
	s.mu.Unlock()
	g[6] = g[6]&0x0f | 0x40
	g[8] = g[8]&0x3f | 0x80
	return g
}
