package index

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"syscall"
	"time"

	"github.com/loom-fs/loom/xlator"
	"golang.org/x/sys/unix"
)

// The records: one hard link per GFID, named by its canonical form, to a
// base file (as GlusterFS's indices/xattrop does), so a record costs a
// directory entry and no inode. A base file that reaches the file
// system's link limit (EMLINK) is replaced by a new one. Base files are
// named basePrefix + a number and are never listed as records.
const basePrefix = "base-"

// newBase creates a new base file and makes it the one new records link to.
func (x *Index) newBase() error {
	x.baseSeq++
	name := fmt.Sprintf("%s%d-%d", basePrefix, time.Now().UnixNano(), x.baseSeq)
	fd, err := unix.Openat(x.dirFd, name, unix.O_CREAT|unix.O_EXCL|unix.O_WRONLY|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return fmt.Errorf("create index base %s/%s: %w", x.dir, name, err)
	}
	unix.Close(fd)
	x.baseName = name
	return nil
}

// add records g; it reports whether a record was made (false: there was
// one).
func (x *Index) add(g xlator.GFID) (bool, error) {
	name := g.String()
	for {
		x.baseMu.Lock()
		base := x.baseName
		x.baseMu.Unlock()
		err := unix.Linkat(x.dirFd, base, x.dirFd, name, 0)
		switch {
		case err == nil:
			x.count.Add(1)
			return true, nil
		case errors.Is(err, unix.EEXIST):
			return false, nil
		case errors.Is(err, unix.EMLINK) || errors.Is(err, unix.ENOENT):
			// The base is full (or was removed): start another.
			x.baseMu.Lock()
			if x.baseName == base {
				if err := x.newBase(); err != nil {
					x.baseMu.Unlock()
					return false, err
				}
			}
			x.baseMu.Unlock()
		default:
			return false, fmt.Errorf("index add %s/%s: %w", x.dir, name, err)
		}
	}
}

// remove drops g's record; it reports whether there was one.
func (x *Index) remove(g xlator.GFID) (bool, error) {
	name := g.String()
	err := unix.Unlinkat(x.dirFd, name, 0)
	switch {
	case err == nil:
		x.count.Add(-1)
		return true, nil
	case errors.Is(err, unix.ENOENT):
		return false, nil
	}
	return false, fmt.Errorf("index remove %s/%s: %w", x.dir, name, err)
}

// scan counts the records and removes base files that no record links to
// (those of earlier runs that became empty).
func (x *Index) scan() (int64, error) {
	fd, err := unix.Openat(x.dirFd, ".", unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return 0, fmt.Errorf("open index directory %s: %w", x.dir, err)
	}
	defer unix.Close(fd)
	var n int64
	var off uint64
	buf := make([]byte, 64<<10)
	for {
		ents, err := readEntries(fd, off, buf)
		if err != nil {
			return 0, fmt.Errorf("read index directory %s: %w", x.dir, err)
		}
		if len(ents) == 0 {
			return n, nil
		}
		for _, e := range ents {
			off = e.off
			switch {
			case strings.HasPrefix(e.name, basePrefix):
				var st unix.Stat_t
				if unix.Fstatat(x.dirFd, e.name, &st, unix.AT_SYMLINK_NOFOLLOW) == nil && st.Nlink == 1 {
					unix.Unlinkat(x.dirFd, e.name, 0)
				}
			case isRecord(e.name):
				n++
			}
		}
	}
}

// isRecord reports whether a name in the index directory is a record.
func isRecord(name string) bool {
	_, err := xlator.ParseGFID(name)
	return err == nil
}

// rawEntry is one directory entry with its cookie.
type rawEntry struct {
	name string
	off  uint64
}

// readEntries reads the entries of the directory open on fd after cookie
// off (0: from the start), one getdents64 buffer full; none at the end.
func readEntries(fd int, off uint64, buf []byte) ([]rawEntry, error) {
	if _, err := unix.Seek(fd, int64(off), 0); err != nil {
		return nil, err
	}
	n, err := unix.Getdents(fd, buf)
	for err == syscall.EINTR {
		n, err = unix.Getdents(fd, buf)
	}
	if err != nil {
		return nil, err
	}
	return parseDirents(buf[:n]), nil
}

// parseDirents decodes linux_dirent64 records (ino u64, off s64, reclen
// u16, type u8, name NUL-terminated), leaving out "." and "..".
func parseDirents(b []byte) []rawEntry {
	var out []rawEntry
	for len(b) >= 19 {
		reclen := int(binary.NativeEndian.Uint16(b[16:18]))
		if reclen < 19 || reclen > len(b) {
			break
		}
		off := binary.NativeEndian.Uint64(b[8:16])
		name := b[19:reclen]
		if i := indexByte(name, 0); i >= 0 {
			name = name[:i]
		}
		if s := string(name); s != "." && s != ".." {
			out = append(out, rawEntry{name: s, off: off})
		}
		b = b[reclen:]
	}
	return out
}

func indexByte(b []byte, c byte) int {
	for i, v := range b {
		if v == c {
			return i
		}
	}
	return -1
}
