package xlator

import "path"

// Loc names an entry (GlusterFS's loc_t). Path is from the volume root and
// always starts with "/"; Parent and Name name the entry within its parent
// directory ("" for the root). GFID is the entry's identity where known;
// for fops that create an entry it is the GFID the new entry must get, and
// for Lookup the GFID to assign if the entry has none.
type Loc struct {
	Path   string
	GFID   GFID
	Parent GFID
	Name   string
}

// RootLoc returns the Loc of the volume root.
func RootLoc() *Loc { return &Loc{Path: "/", GFID: RootGFID} }

// Child returns the Loc of name inside the directory l (GFID unknown).
func (l *Loc) Child(name string) *Loc {
	return &Loc{Path: path.Join(l.Path, name), Parent: l.GFID, Name: name}
}

// IsRoot reports whether l names the volume root.
func (l *Loc) IsRoot() bool { return l.Path == "/" }

// String returns the path, for messages.
func (l *Loc) String() string { return l.Path }
