// Package posix is the storage/posix translator: a brick that stores a
// volume in a local directory. It is the leaf of every Loom graph.
//
// Every path a client sends is resolved beneath an O_PATH descriptor of the
// brick root with openat2(RESOLVE_BENEATH|RESOLVE_NO_SYMLINKS) for the
// parent directory and a *at system call with AT_SYMLINK_NOFOLLOW for the
// last component, so no path, "..", or symlink can lead out of the brick.
//
// Each file and directory carries a GFID in the xattr <ns>.loom.gfid, and
// <brick>/.loom/handles indexes GFIDs (a hard link per file, a symlink
// naming parent GFID and name per directory) so that a GFID alone resolves
// to its object. See README.md for the layout and options.
//
// Readdir returns "." and ".." (without attributes, even for readdirplus)
// followed by the directory's entries; ".loom" is left out at the root.
package posix
