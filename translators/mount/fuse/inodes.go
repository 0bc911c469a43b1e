package fuse

import (
	"sync"
	"unsafe"

	"github.com/loom-fs/loom/xlator"
)

// rootID is the kernel's node id of the mount's root directory.
const rootID = 1

// maxAliases bounds the extra names (hard links) remembered per inode.
const maxAliases = 8

// inode is what the bridge remembers about a node id the kernel holds:
// its identity, the most recent name it was seen under (to build paths),
// and how many lookups the kernel has not yet forgotten.
type inode struct {
	id      uint64
	gfid    xlator.GFID
	parent  *inode // nil for the root
	name    string
	aliases []link // older names of a hard-linked file, newest last

	lookups uint64       // the kernel's reference count (FORGET lowers it)
	kids    int          // names (primary or alias) that have this node as parent
	open    []*xlator.FD // open handles: the node stays while any is open

	// mtime and size from the most recent attributes given to the
	// kernel; Open compares them to decide if the page cache is valid.
	attrMu sync.Mutex
	mtime  xlator.Timespec
	size   uint64

	// backing is the kernel's id of the backing file of this node's
	// passthrough handles (0: none), and backingRefs how many handles
	// are tied to it (FOPEN_PASSTHROUGH): the kernel allows one backing
	// file per inode at a time. cachedOpens counts the handles open in
	// the kernel's cached I/O mode, which excludes passthrough. Guarded
	// by backingMu, which is held across the registration.
	backingMu   sync.Mutex
	backing     int32
	backingRefs int32
	cachedOpens int32
}

// link is one (parent, name) an inode is known under.
type link struct {
	parent *inode
	name   string
}

// nameKey indexes inodes by (parent node id, name).
type nameKey struct {
	parent uint64
	name   string
}

// inodeTable maps the kernel's node ids to inodes. Ids are never reused
// within a mount, so the generation number of every id is the same.
type inodeTable struct {
	mu     sync.RWMutex
	byID   map[uint64]*inode
	byGFID map[xlator.GFID]*inode
	byName map[nameKey]*inode
	next   uint64
	root   *inode
	// pins counts borrowers of each open FD (borrowFD); closeHandle
	// waits on unpinned until none is left.
	pins     map[*xlator.FD]int
	unpinned *sync.Cond
}

// newInodeTable returns a table holding only the root.
func newInodeTable() *inodeTable {
	root := &inode{id: rootID, gfid: xlator.RootGFID, lookups: 1}
	t := &inodeTable{
		byID:   map[uint64]*inode{rootID: root},
		byGFID: map[xlator.GFID]*inode{xlator.RootGFID: root},
		byName: map[nameKey]*inode{},
		next:   rootID + 1,
		root:   root,
		pins:   map[*xlator.FD]int{},
	}
	t.unpinned = sync.NewCond(&t.mu)
	return t
}

// len returns the number of inodes, the root included.
func (t *inodeTable) len() int {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return len(t.byID)
}

// get returns the inode of id, or nil.
func (t *inodeTable) get(id uint64) *inode {
	t.mu.RLock()
	n := t.byID[id]
	t.mu.RUnlock()
	return n
}

// loc fills l for the inode id and returns the inode, or nil for an
// unknown id.
func (t *inodeTable) loc(id uint64, l *xlator.Loc) *inode {
	t.mu.RLock()
	defer t.mu.RUnlock()
	n := t.byID[id]
	if n == nil {
		return nil
	}
	*l = xlator.Loc{Path: pathOf(n, ""), GFID: n.gfid, Name: n.name}
	if n.parent != nil {
		l.Parent = n.parent.gfid
	}
	return n
}

// childLoc fills l for name inside the directory parent, with the GFID
// of the entry when the table knows it. It reports false for an unknown
// parent.
func (t *inodeTable) childLoc(parent uint64, name string, l *xlator.Loc) bool {
	t.mu.RLock()
	defer t.mu.RUnlock()
	p := t.byID[parent]
	if p == nil {
		return false
	}
	*l = xlator.Loc{Path: pathOf(p, name), Parent: p.gfid, Name: name}
	if c := t.byName[nameKey{parent, name}]; c != nil {
		l.GFID = c.gfid
	}
	return true
}

// pathOf builds the path of n from the root, with "/"+name appended when
// name is not empty, in one allocation. The caller holds t.mu.
func pathOf(n *inode, name string) string {
	size := 0
	for x := n; x.parent != nil; x = x.parent {
		size += 1 + len(x.name)
	}
	if name != "" {
		size += 1 + len(name)
	}
	if size == 0 {
		return "/"
	}
	buf := make([]byte, size)
	end := size
	if name != "" {
		end -= len(name)
		copy(buf[end:], name)
		end--
		buf[end] = '/'
	}
	for x := n; x.parent != nil; x = x.parent {
		end -= len(x.name)
		copy(buf[end:], x.name)
		end--
		buf[end] = '/'
	}
	// buf is never written again, so it can back the string directly.
	return unsafe.String(&buf[0], len(buf))
}

// add records that the kernel got (one more) reference to the entry
// name in parent, whose identity is gfid, and returns its inode. A GFID
// already known gives the same inode (hard links share one), which then
// takes name as its most recent name. A zero GFID (a graph that does not
// assign them) is matched by name only.
func (t *inodeTable) add(parent uint64, name string, gfid xlator.GFID) *inode {
	t.mu.Lock()
	defer t.mu.Unlock()
	p := t.byID[parent]
	if p == nil {
		// The parent was forgotten while the request ran: the kernel
		// cannot have a reference to it, so it will not use the
		// child either. Give the child no parent name.
		p = t.root
	}
	key := nameKey{p.id, name}
	var n *inode
	if gfid.IsZero() {
		n = t.byName[key]
	} else {
		n = t.byGFID[gfid]
	}
	if n == nil {
		n = &inode{id: t.next, gfid: gfid}
		t.next++
		t.byID[n.id] = n
		if !gfid.IsZero() {
			t.byGFID[gfid] = n
		}
		t.setName(n, p, name)
	} else if n != t.root && (t.byName[key] != n || n.parent != p || n.name != name) {
		t.rename(n, p, name)
	}
	n.lookups++
	return n
}

// setName gives a nameless inode its first name. The caller holds t.mu.
func (t *inodeTable) setName(n, p *inode, name string) {
	key := nameKey{p.id, name}
	if old := t.byName[key]; old != nil && old != n {
		t.dropName(old, p, name)
	}
	n.parent, n.name = p, name
	p.kids++
	t.byName[key] = n
}

// rename makes (p, name) the most recent name of n, keeping its previous
// name as an alias (a hard link may still be reached through it) unless
// the previous name was gone. The caller holds t.mu.
func (t *inodeTable) rename(n, p *inode, name string) {
	key := nameKey{p.id, name}
	if old := t.byName[key]; old != nil && old != n {
		t.dropName(old, p, name)
	}
	if n.parent != nil && t.byName[nameKey{n.parent.id, n.name}] == n {
		n.aliases = append(n.aliases, link{n.parent, n.name})
		if len(n.aliases) > maxAliases {
			t.forgetLink(n, n.aliases[0])
			n.aliases = n.aliases[1:]
		}
	} else if n.parent != nil {
		t.release(n.parent)
	}
	// The new name may have been an alias already.
	for i, a := range n.aliases {
		if a.parent == p && a.name == name {
			n.aliases = append(n.aliases[:i], n.aliases[i+1:]...)
			p.kids--
			break
		}
	}
	n.parent, n.name = p, name
	p.kids++
	t.byName[key] = n
}

// forgetLink removes the alias l of n from the name index and releases
// its parent. The caller holds t.mu.
func (t *inodeTable) forgetLink(n *inode, l link) {
	key := nameKey{l.parent.id, l.name}
	if t.byName[key] == n {
		delete(t.byName, key)
	}
	t.release(l.parent)
}

// dropName records that (p, name) no longer names n (unlinked, or
// replaced by a rename). If it was n's most recent name, an alias takes
// its place; with none left n keeps the stale name, so that fops on it
// (an open but unlinked file) still carry its GFID and parent. The
// caller holds t.mu.
func (t *inodeTable) dropName(n, p *inode, name string) {
	key := nameKey{p.id, name}
	if t.byName[key] == n {
		delete(t.byName, key)
	}
	for i, a := range n.aliases {
		if a.parent == p && a.name == name {
			n.aliases = append(n.aliases[:i], n.aliases[i+1:]...)
			t.release(p)
			return
		}
	}
	if n.parent == p && n.name == name && len(n.aliases) > 0 {
		last := n.aliases[len(n.aliases)-1]
		n.aliases = n.aliases[:len(n.aliases)-1]
		t.release(p)
		n.parent, n.name = last.parent, last.name
	}
}

// unlink records that name in parent was removed.
func (t *inodeTable) unlink(parent uint64, name string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	n := t.byName[nameKey{parent, name}]
	if n == nil {
		return
	}
	if p := n.parentOf(parent); p != nil {
		t.dropName(n, p, name)
	}
}

// parentOf returns the inode among n's names whose id is id.
func (n *inode) parentOf(id uint64) *inode {
	if n.parent != nil && n.parent.id == id {
		return n.parent
	}
	for _, a := range n.aliases {
		if a.parent.id == id {
			return a.parent
		}
	}
	return nil
}

// move records a rename of (oldParent, oldName) to (newParent, newName).
// With exchange the two entries swap names; otherwise an entry that was
// at the new name is unlinked.
func (t *inodeTable) move(oldParent uint64, oldName string, newParent uint64, newName string, exchange bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	src := t.byName[nameKey{oldParent, oldName}]
	dst := t.byName[nameKey{newParent, newName}]
	op, np := t.byID[oldParent], t.byID[newParent]
	if op == nil || np == nil || (src == dst && !exchange) {
		// The kernel holds both directories during a rename, so an
		// unknown one means a stale request; renaming a name onto
		// another name of the same file changes nothing (POSIX).
		return
	}
	if src != nil {
		t.dropName(src, op, oldName)
	}
	if dst != nil {
		t.dropName(dst, np, newName)
	}
	if src != nil {
		t.rename(src, np, newName)
	}
	if exchange && dst != nil {
		t.rename(dst, op, oldName)
	}
}

// forget lowers the lookup count of id by n, and removes the inode when
// the kernel holds no more references, no handle is open and no known
// name has it as parent. The root is never removed.
func (t *inodeTable) forget(id, n uint64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	x := t.byID[id]
	if x == nil || x == t.root {
		return
	}
	if n > x.lookups {
		n = x.lookups
	}
	x.lookups -= n
	t.maybeRemove(x)
}

// openHandle and closeHandle track the handles open on n, which keep it
// in the table after the kernel forgets it (a release can come after the
// forget).
func (t *inodeTable) openHandle(n *inode, fd *xlator.FD) {
	t.mu.Lock()
	n.open = append(n.open, fd)
	t.mu.Unlock()
}

// closeHandle forgets fd as open on n and then waits until no borrower
// (borrowFD) still uses it, so that the caller may release it.
func (t *inodeTable) closeHandle(n *inode, fd *xlator.FD) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for i, x := range n.open {
		if x == fd {
			n.open = append(n.open[:i], n.open[i+1:]...)
			break
		}
	}
	t.maybeRemove(n)
	for t.pins[fd] > 0 {
		t.unpinned.Wait()
	}
}

// borrowFD returns one of the handles open on node id, or nil, and the
// function to call when done with it. Stat, setattr and getxattr use it
// when the kernel gives no handle (fstat and fchmod do not), because the
// node's path may name another file by now: an unlinked file, or a
// directory renamed over. The kernel's release of that handle may arrive
// meanwhile: the handle stays pinned, and its release waits, until done.
func (t *inodeTable) borrowFD(id uint64) (*xlator.FD, func()) {
	t.mu.Lock()
	defer t.mu.Unlock()
	n := t.byID[id]
	if n == nil || len(n.open) == 0 {
		return nil, func() {}
	}
	fd := n.open[len(n.open)-1]
	t.pins[fd]++
	return fd, func() {
		t.mu.Lock()
		if t.pins[fd]--; t.pins[fd] == 0 {
			delete(t.pins, fd)
			t.unpinned.Broadcast()
		}
		t.mu.Unlock()
	}
}

// release drops one child reference of p. The caller holds t.mu.
func (t *inodeTable) release(p *inode) {
	p.kids--
	t.maybeRemove(p)
}

// maybeRemove deletes x when nothing refers to it any more, and releases
// its names' parents in turn. The caller holds t.mu.
func (t *inodeTable) maybeRemove(x *inode) {
	if x == t.root || x.lookups > 0 || x.kids > 0 || len(x.open) > 0 {
		return
	}
	if t.byID[x.id] != x {
		return // already removed
	}
	delete(t.byID, x.id)
	if !x.gfid.IsZero() && t.byGFID[x.gfid] == x {
		delete(t.byGFID, x.gfid)
	}
	aliases := x.aliases
	x.aliases = nil
	for _, a := range aliases {
		t.forgetLink(x, a)
	}
	if x.parent != nil {
		key := nameKey{x.parent.id, x.name}
		if t.byName[key] == x {
			delete(t.byName, key)
		}
		t.release(x.parent)
	}
}

// setAttrCache records the mtime and size last given to the kernel.
func (t *inodeTable) setAttrCache(n *inode, st *xlator.Stat) {
	n.attrMu.Lock()
	n.mtime, n.size = st.Mtime, st.Size
	n.attrMu.Unlock()
}

// attrCacheMatches reports whether st has the mtime and size last given
// to the kernel for n.
func (t *inodeTable) attrCacheMatches(n *inode, st *xlator.Stat) bool {
	n.attrMu.Lock()
	defer n.attrMu.Unlock()
	return n.mtime == st.Mtime && n.size == st.Size
}

// parentOf returns the directory n was most recently seen in, or nil
// for the root.
func (t *inodeTable) parentOf(n *inode) *inode {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return n.parent
}

// gfidOf returns the GFID of name in the directory parent if the table
// knows it, or the zero GFID.
func (t *inodeTable) gfidOf(parent uint64, name string) xlator.GFID {
	t.mu.RLock()
	defer t.mu.RUnlock()
	if n := t.byName[nameKey{parent, name}]; n != nil {
		return n.gfid
	}
	return xlator.GFID{}
}
