package distribute

// Hash is the placement hash of a file name: 32-bit FNV-1a (offset basis
// 2166136261, prime 16777619) over the name's bytes, as specified in
// https://datatracker.ietf.org/doc/html/draft-eastlake-fnv and implemented
// by Go's hash/fnv New32a. It is stable across versions and machines:
// changing it would misplace every existing file.
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
	return h
}
