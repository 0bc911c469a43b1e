package distribute

// Hash is the placement hash of a file name: 32-bit FNV-1a over the
// name's bytes (offset basis 2166136261, prime 16777619; Go's
// hash/fnv.New32a), followed by MurmurHash3's 32-bit finalizer (fmix32:
// h ^= h>>16; h *= 0x85ebca6b; h ^= h>>13; h *= 0xc2b2ae35; h ^= h>>16).
// Plain FNV-1a's high bits barely change between short names that differ
// in their last characters (f000, f001, ...), and layouts split the hash
// space into ranges, so the finalizer spreads them. It is stable across
// versions and machines: changing it would misplace every existing file.
func Hash(name string) uint32 {
	const (
		offset = 2166136261
		prime  = 16777619
	)
	h := uint32(offset)
	for i := 0; i < len(name); i++ {
		h ^= uint32(name[i])
		h *= prime
	}
	return fmix32(h)
}

// fmix32 is MurmurHash3's finalizer: every input bit affects every output
// bit.
func fmix32(h uint32) uint32 {
	h ^= h >> 16
	h *= 0x85ebca6b
	h ^= h >> 13
	h *= 0xc2b2ae35
	h ^= h >> 16
	return h
}
