package xlator

import "sync"

// FD is an open file or directory (GlusterFS's fd_t). One FD travels down
// the whole graph: a fan-out translator passes the same FD to each child,
// and every translator keeps its own per-FD state in it with SetCtx, keyed
// by the translator itself (GlusterFS's fd_ctx_set).
type FD struct {
	Loc   Loc    // where it was opened; for reopening after a reconnect
	Flags uint32 // open(2) flags
	Dir   bool   // opened by Opendir

	mu  sync.Mutex
	ctx map[any]any
}

// NewFD returns an FD for loc opened with flags.
func NewFD(loc *Loc, flags uint32, dir bool) *FD {
	return &FD{Loc: *loc, Flags: flags, Dir: dir}
}

// GFID returns the GFID of the opened entry.
func (fd *FD) GFID() GFID { return fd.Loc.GFID }

// SetCtx stores v as key's state for this FD.
func (fd *FD) SetCtx(key, v any) {
	fd.mu.Lock()
	if fd.ctx == nil {
		fd.ctx = make(map[any]any, 2)
	}
	fd.ctx[key] = v
	fd.mu.Unlock()
}

// Ctx returns key's state for this FD, or nil.
func (fd *FD) Ctx(key any) any {
	fd.mu.Lock()
	v := fd.ctx[key]
	fd.mu.Unlock()
	return v
}

// DelCtx removes and returns key's state for this FD.
func (fd *FD) DelCtx(key any) any {
	fd.mu.Lock()
	v := fd.ctx[key]
	delete(fd.ctx, key)
	fd.mu.Unlock()
	return v
}
