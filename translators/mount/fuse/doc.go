// Package fuse is Loom's FUSE bridge: it serves the top translator of a
// graph to the kernel, mapping each FUSE request to a fop (lookup, getattr,
// read, write, locks, xattrs, ...). It speaks go-fuse's raw protocol API, so
// it owns the node ids given to the kernel (an inode table bounded by the
// kernel's FORGET messages), the file handles, and the caching the kernel
// is told to do.
//
// It is not a registered translator: a program builds a graph with package
// xlator and calls Mount with the graph's top.
//
// Inode numbers shown to applications are derived from GFIDs
// (xlator.GFID.Ino), so hard links share one and numbers survive
// remounts. Paths in the Locs given to the graph are built from the
// parent chain the kernel's lookups established.
package fuse
