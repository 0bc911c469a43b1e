package wire

import (
	"fmt"

	"github.com/loom-fs/loom/xlator"
)

// statSize is the encoded size of an xlator.Stat.
const statSize = 16 + 8 + 8 + 4 + 4 + 4 + 4 + 8 + 8 + 8 + 4 + 3*12

// Call is the caller's identity as it crosses the wire. The server adds
// its own connection id as Client.
func (e *Enc) Call(c *xlator.Call) {
	e.U32(c.UID)
	e.U32(c.GID)
	e.U32(c.PID)
	e.U64(c.LockOwner)
	e.U32(uint32(len(c.Groups)))
	for _, g := range c.Groups {
		e.U32(g)
	}
}

// Call reads a caller's identity.
func (d *Dec) Call(c *xlator.Call) {
	c.UID = d.U32()
	c.GID = d.U32()
	c.PID = d.U32()
	c.LockOwner = d.U64()
	n := d.Count("groups", MaxGroups, 4)
	if n > 0 {
		c.Groups = make([]uint32, n)
		for i := range c.Groups {
			c.Groups[i] = d.U32()
		}
	}
}

// Loc writes a Loc: path, GFID, parent GFID and name.
func (e *Enc) Loc(l *xlator.Loc) {
	e.Str(l.Path)
	e.B = append(e.B, l.GFID[:]...)
	e.B = append(e.B, l.Parent[:]...)
	e.Str(l.Name)
}

// Loc reads a Loc. It checks the lengths; what a path may contain is the
// server's check (CheckLoc).
func (d *Dec) Loc(l *xlator.Loc) {
	l.Path = d.Str("path", MaxPath)
	d.GFID(&l.GFID)
	d.GFID(&l.Parent)
	l.Name = d.Str("name", MaxName)
}

// GFID reads 16 bytes of GFID.
func (d *Dec) GFID(g *xlator.GFID) {
	if b := d.take(16); b != nil {
		copy(g[:], b)
	}
}

func (e *Enc) ts(t xlator.Timespec) {
	e.I64(t.Sec)
	e.U32(t.Nsec)
}

func (d *Dec) ts() xlator.Timespec {
	t := xlator.Timespec{Sec: d.I64(), Nsec: d.U32()}
	if t.Nsec >= 1e9 {
		d.Fail(fmt.Errorf("wire: nanoseconds %d out of range", t.Nsec))
	}
	return t
}

// Stat writes file attributes.
func (e *Enc) Stat(s *xlator.Stat) {
	e.B = append(e.B, s.GFID[:]...)
	e.U64(s.Dev)
	e.U64(s.Ino)
	e.U32(s.Mode)
	e.U32(s.Nlink)
	e.U32(s.UID)
	e.U32(s.GID)
	e.U64(s.Rdev)
	e.U64(s.Size)
	e.U64(s.Blocks)
	e.U32(s.Blksize)
	e.ts(s.Atime)
	e.ts(s.Mtime)
	e.ts(s.Ctime)
}

// Stat reads file attributes.
func (d *Dec) Stat(s *xlator.Stat) {
	d.GFID(&s.GFID)
	s.Dev = d.U64()
	s.Ino = d.U64()
	s.Mode = d.U32()
	s.Nlink = d.U32()
	s.UID = d.U32()
	s.GID = d.U32()
	s.Rdev = d.U64()
	s.Size = d.U64()
	s.Blocks = d.U64()
	s.Blksize = d.U32()
	s.Atime = d.ts()
	s.Mtime = d.ts()
	s.Ctime = d.ts()
}

// SetAttr writes the arguments of a setattr.
func (e *Enc) SetAttr(a *xlator.SetAttr) {
	e.U32(uint32(a.Valid))
	e.U32(a.Mode)
	e.U32(a.UID)
	e.U32(a.GID)
	e.ts(a.Atime)
	e.ts(a.Mtime)
}

// SetAttr reads the arguments of a setattr.
func (d *Dec) SetAttr(a *xlator.SetAttr) {
	a.Valid = xlator.SetAttrMask(d.U32())
	a.Mode = d.U32()
	a.UID = d.U32()
	a.GID = d.U32()
	a.Atime = d.ts()
	a.Mtime = d.ts()
}

// StatFS writes a statfs answer.
func (e *Enc) StatFS(s *xlator.StatFS) {
	e.U32(s.Bsize)
	e.U32(s.Frsize)
	e.U64(s.Blocks)
	e.U64(s.Bfree)
	e.U64(s.Bavail)
	e.U64(s.Files)
	e.U64(s.Ffree)
	e.U32(s.NameLen)
}

// StatFS reads a statfs answer.
func (d *Dec) StatFS(s *xlator.StatFS) {
	s.Bsize = d.U32()
	s.Frsize = d.U32()
	s.Blocks = d.U64()
	s.Bfree = d.U64()
	s.Bavail = d.U64()
	s.Files = d.U64()
	s.Ffree = d.U64()
	s.NameLen = d.U32()
}

// Flock writes a byte-range lock.
func (e *Enc) Flock(l *xlator.Flock) {
	e.U16(uint16(l.Type))
	e.I64(l.Start)
	e.I64(l.Len)
	e.U32(l.PID)
	e.U64(l.Owner)
}

// Flock reads a byte-range lock; the type must be a known one.
func (d *Dec) Flock(l *xlator.Flock) {
	l.Type = xlator.LockType(d.U16())
	l.Start = d.I64()
	l.Len = d.I64()
	l.PID = d.U32()
	l.Owner = d.U64()
	if l.Type != xlator.ReadLock && l.Type != xlator.WriteLock && l.Type != xlator.Unlock {
		d.Fail(fmt.Errorf("wire: unknown lock type %d", l.Type))
	}
}

// XData writes a map of named values, in sorted key order so that equal
// maps encode equally.
func (e *Enc) XData(x xlator.XData) {
	e.U32(uint32(len(x)))
	for _, k := range sortedKeys(x) {
		e.Str(k)
		e.Bytes(x[k])
	}
}

// XData reads a map of named values, whose keys must come in strictly
// increasing order (the one encoding of a map); nil when it is empty.
func (d *Dec) XData() xlator.XData {
	n := d.Count("xdata entries", MaxXData, 8)
	if n == 0 || d.err != nil {
		return nil
	}
	x := make(xlator.XData, n)
	prev := ""
	for i := range n {
		k := d.Str("xdata key", MaxXattrName)
		v := d.Bytes("xdata value", MaxXattrValue)
		if d.err != nil {
			return nil
		}
		if i > 0 && k <= prev {
			d.Fail(fmt.Errorf("wire: xdata key %q out of order or given twice", k))
			return nil
		}
		prev = k
		x[k] = append([]byte(nil), v...)
	}
	return x
}

// DirEntry writes one directory entry.
func (e *Enc) DirEntry(de *xlator.DirEntry) {
	e.Str(de.Name)
	e.U64(de.Ino)
	e.U32(de.Type)
	e.U64(de.Off)
	e.Bool(de.HasStat)
	if de.HasStat {
		e.Stat(&de.Stat)
	}
}

// DirEntry reads one directory entry.
func (d *Dec) DirEntry(de *xlator.DirEntry) {
	de.Name = d.Str("entry name", MaxName)
	de.Ino = d.U64()
	de.Type = d.U32()
	de.Off = d.U64()
	de.HasStat = d.Bool()
	if de.HasStat {
		d.Stat(&de.Stat)
	}
}
