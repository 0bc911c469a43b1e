package server

import (
	"math/bits"
	"sync"
)

// Data buffers (the body of a write request, the data of a read reply)
// are reused from pools by size class: a fresh 1 MiB slice per request
// cost the server a page-faulting, zeroed allocation and frequent
// garbage collections, about a third of its CPU on sequential writes.
// Only these two are pooled, because only their data follows the
// convention every translator keeps for FUSE's buffers (copy what you
// keep after the fop returns); the small bodies of other requests, which
// XData values and names may alias, stay fresh allocations.
//
// A class holds buffers of 2^k bytes plus poolSlack, so that a write of
// 2^k bytes of data and the fields before it (about 60 bytes) fit in
// the class of its data.

const (
	// poolSlack is the room above a power of two in each class.
	poolSlack = 4096
	// minPoolShift is the smallest class: 4 KiB (+ slack).
	minPoolShift = 12
	// maxPoolShift is the largest class: 8 MiB (+ slack), more than a
	// whole frame (wire.MaxFrame).
	maxPoolShift = 23
)

// pools holds one sync.Pool of *[]byte per size class.
var pools [maxPoolShift + 1]sync.Pool

// poolShift returns the class of a buffer of n bytes.
func poolShift(n int) int {
	if n <= 1<<minPoolShift+poolSlack {
		return minPoolShift
	}
	return bits.Len(uint(n - poolSlack - 1))
}

// getBuf returns a buffer of length n (at most wire.MaxFrame) from its
// class's pool; its contents are not zeroed.
func getBuf(n int) *[]byte {
	shift := poolShift(n)
	if v, ok := pools[shift].Get().(*[]byte); ok {
		*v = (*v)[:n]
		return v
	}
	b := make([]byte, n, 1<<shift+poolSlack)
	return &b
}

// putBuf gives back a buffer from getBuf (nil is ignored); nothing may
// use it afterwards.
func putBuf(b *[]byte) {
	if b == nil {
		return
	}
	shift := poolShift(cap(*b))
	if shift > maxPoolShift || cap(*b) != 1<<shift+poolSlack {
		return
	}
	pools[shift].Put(b)
}
