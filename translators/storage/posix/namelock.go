package posix

import "sync"

// nameLocks makes "create an entry with a given GFID" atomic with respect
// to the brick's own lookups. A create (Create, Mkdir, Mknod, Symlink)
// holds the lock of the new name from before the entry appears until its
// GFID xattr is set; a lookup that finds an entry without a GFID takes the
// same lock and reads the GFID again before assigning one. Without it, a
// lookup racing a heal's create (which asks for the source's GFID) could
// give the new entry a random GFID first: a GFID mismatch, EIO on the
// mount.
//
// The key is the name alone, not the parent: the parent's identity would
// cost a system call on the create path, and two creates of one name in
// different directories only wait for each other's few system calls.
// Lookups take a lock only on the rare entry without a GFID.
type nameLocks struct {
	mu [256]sync.Mutex
}

// of returns the lock of name (FNV-1a, folded to 8 bits).
func (s *nameLocks) of(name string) *sync.Mutex {
	h := uint32(2166136261)
	for i := 0; i < len(name); i++ {
		h ^= uint32(name[i])
		h *= 16777619
	}
	return &s.mu[(h^h>>8^h>>16^h>>24)&255]
}
