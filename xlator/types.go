package xlator

import (
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"time"
)

// GFID is the 16-byte identity of a file or directory, shared by all
// replicas of it and stable across renames.
type GFID [16]byte

// RootGFID is the GFID of every volume's root directory.
var RootGFID = GFID{15: 1}

// NewGFID returns a random (version 4) GFID.
func NewGFID() GFID {
	var g GFID
	if _, err := rand.Read(g[:]); err != nil {
		panic(fmt.Sprintf("xlator: reading random bytes: %v", err))
	}
	g[6] = g[6]&0x0f | 0x40
	g[8] = g[8]&0x3f | 0x80
	return g
}

// IsZero reports whether g is the all-zero (unknown) GFID.
func (g GFID) IsZero() bool { return g == GFID{} }

// String formats g in the canonical 8-4-4-4-12 UUID form.
func (g GFID) String() string {
	var b [36]byte
	g.Encode(b[:])
	return string(b[:])
}

// Encode writes String's 36 bytes into dst[:36] without allocating, for
// callers that build a longer name around it (dst must hold 36 bytes).
func (g GFID) Encode(dst []byte) {
	b := dst[:36]
	hex.Encode(b[0:8], g[0:4])
	b[8] = '-'
	hex.Encode(b[9:13], g[4:6])
	b[13] = '-'
	hex.Encode(b[14:18], g[6:8])
	b[18] = '-'
	hex.Encode(b[19:23], g[8:10])
	b[23] = '-'
	hex.Encode(b[24:], g[10:])
}

// ParseGFID parses the canonical UUID form produced by String.
func ParseGFID(s string) (GFID, error) {
	var g GFID
	if len(s) != 36 || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-' {
		return g, fmt.Errorf("parse gfid %q: not in 8-4-4-4-12 form", s)
	}
	hexpart := s[0:8] + s[9:13] + s[14:18] + s[19:23] + s[24:]
	if _, err := hex.Decode(g[:], []byte(hexpart)); err != nil {
		return GFID{}, fmt.Errorf("parse gfid %q: %w", s, err)
	}
	return g, nil
}

// Ino derives the inode number clients see from the GFID, as GlusterFS
// does: the last eight bytes. The root is always 1.
func (g GFID) Ino() uint64 {
	if g == RootGFID {
		return 1
	}
	ino := binary.BigEndian.Uint64(g[8:])
	if ino <= 1 {
		ino ^= binary.BigEndian.Uint64(g[:8]) | 2
	}
	return ino
}

// Timespec is a point in time with nanoseconds, as stored by the kernel.
type Timespec struct {
	Sec  int64
	Nsec uint32
}

// Time converts ts to a time.Time.
func (ts Timespec) Time() time.Time { return time.Unix(ts.Sec, int64(ts.Nsec)) }

// TimespecOf converts t to a Timespec.
func TimespecOf(t time.Time) Timespec {
	return Timespec{Sec: t.Unix(), Nsec: uint32(t.Nanosecond())}
}

// Stat is the attributes of a file (GlusterFS's iatt). Mode holds the file
// type bits (syscall.S_IFMT) and the permission bits.
type Stat struct {
	GFID    GFID
	Dev     uint64 // device of the brick that answered; informational
	Ino     uint64 // inode number on the brick that answered; clients see GFID.Ino()
	Mode    uint32
	Nlink   uint32
	UID     uint32
	GID     uint32
	Rdev    uint64
	Size    uint64
	Blocks  uint64 // 512-byte blocks allocated
	Blksize uint32
	Atime   Timespec
	Mtime   Timespec
	Ctime   Timespec
}

// Type returns the file-type bits of Mode (one of syscall.S_IF*).
func (s *Stat) Type() uint32 { return s.Mode & 0o170000 }

// IsDir reports whether s describes a directory.
func (s *Stat) IsDir() bool { return s.Type() == 0o040000 }

// SetAttrMask says which fields of a SetAttr are to be applied.
type SetAttrMask uint32

// The fields Setattr can change. Size is not among them: truncation is its
// own fop (Truncate, Ftruncate) because replication treats it as a data
// change, not a metadata change.
const (
	SetMode     SetAttrMask = 1 << iota // Mode (permission bits only)
	SetUID                              // UID
	SetGID                              // GID
	SetAtime                            // Atime
	SetMtime                            // Mtime
	SetAtimeNow                         // atime to the current time
	SetMtimeNow                         // mtime to the current time
)

// SetAttr carries the new attribute values of a Setattr call.
type SetAttr struct {
	Valid SetAttrMask
	Mode  uint32
	UID   uint32
	GID   uint32
	Atime Timespec
	Mtime Timespec
}

// DirEntry is one entry returned by Readdir. Off is the cookie to pass to
// the next Readdir to continue after this entry. Stat is filled (and
// HasStat set) only for a readdirplus call, and only where known.
type DirEntry struct {
	Name    string
	Ino     uint64 // brick inode number; clients prefer Stat.GFID.Ino() when HasStat
	Type    uint32 // file-type bits as in Stat.Mode
	Off     uint64
	HasStat bool
	Stat    Stat
}

// StatFS is the answer of Statfs, in units of Frsize blocks.
type StatFS struct {
	Bsize   uint32
	Frsize  uint32
	Blocks  uint64
	Bfree   uint64
	Bavail  uint64
	Files   uint64
	Ffree   uint64
	NameLen uint32
}

// LockType is the type of a byte-range lock.
type LockType int16

// Lock types, with the kernel's values (F_RDLCK, F_WRLCK, F_UNLCK).
const (
	ReadLock  LockType = 0
	WriteLock LockType = 1
	Unlock    LockType = 2
)

// Flock is a byte-range lock: Len 0 means to the end of the file. Owner is
// the lock owner (GlusterFS's lk-owner): locks of one owner never conflict
// with each other.
type Flock struct {
	Type  LockType
	Start int64
	Len   int64
	PID   uint32
	Owner uint64
	// Flock marks a flock(2) request (FUSE_LK_FLOCK): a whole-file lock
	// owned by the open file rather than by a process. Lock managers
	// convert a held flock lock by dropping it before waiting, as Linux
	// does, and never answer EDEADLK for it.
	Flock bool
}

// LkCmd selects what Lk and Inodelk do.
type LkCmd int

// Lock commands: test (F_GETLK), try (F_SETLK) and wait (F_SETLKW).
const (
	LkGet LkCmd = iota
	LkSet
	LkSetWait
)

// EntrylkCmd selects what Entrylk does.
type EntrylkCmd int

// Entry lock commands.
const (
	EntryLock   EntrylkCmd = iota // wait for the lock
	EntryLockNB                   // fail with EAGAIN if it is held
	EntryUnlock                   // release
)

// EntrylkType is shared (read) or exclusive (write).
type EntrylkType int

// Entry lock types.
const (
	EntryRead EntrylkType = iota
	EntryWrite
)

// XattropOp is the arithmetic Xattrop applies to each value.
type XattropOp int

// Xattrop operations. AddArray32 treats the stored and given values as
// arrays of big-endian int32 and adds them element-wise (replicate's pending
// counters); AddArray64 does the same with int64. A missing stored value
// counts as zeros.
const (
	AddArray32 XattropOp = iota
	AddArray64
)

// XData carries extra named values in and out of Lookup (GlusterFS's
// xdata): a translator asks for internal xattrs to come back with the
// lookup, and leaves report facts such as a freshly assigned GFID.
type XData map[string][]byte

// Fallocate modes (the kernel's FALLOC_FL_* bits that may be passed).
const (
	FallocKeepSize  = 0x01
	FallocPunchHole = 0x02
	FallocZeroRange = 0x10
)

// Rename flags, with the kernel's values.
const (
	RenameNoReplace = 1 << 0
	RenameExchange  = 1 << 1
)
