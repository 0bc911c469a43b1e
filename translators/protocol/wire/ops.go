package wire

import "fmt"

// Op identifies a fop on the wire. The numbers are part of the protocol:
// never renumber, only append.
type Op uint8

// The ops, one per fop of xlator.Fops.
const (
	OpLookup Op = iota + 1
	OpStat
	OpFstat
	OpSetattr
	OpFsetattr
	OpTruncate
	OpFtruncate
	OpAccess
	OpReadlink
	OpMknod
	OpMkdir
	OpUnlink
	OpRmdir
	OpSymlink
	OpRename
	OpLink
	OpOpen
	OpCreate
	OpRead
	OpWrite
	OpFlush
	OpFsync
	OpRelease
	OpFallocate
	OpDiscard
	OpZerofill
	OpSeek
	OpCopyFileRange
	OpOpendir
	OpReaddir
	OpFsyncdir
	OpReleasedir
	OpStatfs
	OpSetxattr
	OpGetxattr
	OpListxattr
	OpRemovexattr
	OpFsetxattr
	OpFgetxattr
	OpFlistxattr
	OpFremovexattr
	OpXattrop
	OpFxattrop
	OpLk
	OpInodelk
	OpFinodelk
	OpEntrylk
	OpFentrylk
	opEnd
)

var opNames = [...]string{
	OpLookup: "lookup", OpStat: "stat", OpFstat: "fstat", OpSetattr: "setattr",
	OpFsetattr: "fsetattr", OpTruncate: "truncate", OpFtruncate: "ftruncate",
	OpAccess: "access", OpReadlink: "readlink", OpMknod: "mknod", OpMkdir: "mkdir",
	OpUnlink: "unlink", OpRmdir: "rmdir", OpSymlink: "symlink", OpRename: "rename",
	OpLink: "link", OpOpen: "open", OpCreate: "create", OpRead: "read",
	OpWrite: "write", OpFlush: "flush", OpFsync: "fsync", OpRelease: "release",
	OpFallocate: "fallocate", OpDiscard: "discard", OpZerofill: "zerofill",
	OpSeek: "seek", OpCopyFileRange: "copy_file_range", OpOpendir: "opendir",
	OpReaddir: "readdir", OpFsyncdir: "fsyncdir", OpReleasedir: "releasedir",
	OpStatfs: "statfs", OpSetxattr: "setxattr", OpGetxattr: "getxattr",
	OpListxattr: "listxattr", OpRemovexattr: "removexattr", OpFsetxattr: "fsetxattr",
	OpFgetxattr: "fgetxattr", OpFlistxattr: "flistxattr", OpFremovexattr: "fremovexattr",
	OpXattrop: "xattrop", OpFxattrop: "fxattrop", OpLk: "lk", OpInodelk: "inodelk",
	OpFinodelk: "finodelk", OpEntrylk: "entrylk", OpFentrylk: "fentrylk",
}

// Valid reports whether op is a known op.
func (op Op) Valid() bool { return op >= OpLookup && op < opEnd }

// String returns GlusterFS's lower-case name of the fop.
func (op Op) String() string {
	if op.Valid() {
		return opNames[op]
	}
	return fmt.Sprintf("op(%d)", uint8(op))
}

// Ops returns every known op, in number order.
func Ops() []Op {
	out := make([]Op, 0, int(opEnd)-1)
	for op := OpLookup; op < opEnd; op++ {
		out = append(out, op)
	}
	return out
}
