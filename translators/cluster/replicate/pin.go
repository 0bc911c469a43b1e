package replicate

import (
	"context"
	"errors"
	"sync"
	"syscall"

	"github.com/loom-fs/loom/xlator"
)

// FUSE passthrough of reads (see README.md, "Reads"): the FUSE bridge asks
// BackingFile for each handle it opens. Replicate hands out the brick file
// of one child, and pins that child for the inode for as long as any
// handle of the inode that may share the kernel's backing file is open.
// While an inode is pinned, every data transaction runs on the pinned
// child first and on the others only if it succeeded there, so the
// kernel, which reads the pinned copy without asking replicate, never
// reads a copy that fell behind; and a data heal never writes to it.

// errPinned defers a data heal that would write to the copy an open
// passthrough handle reads; it runs when the last such handle closes.
var errPinned = errors.New("an open passthrough handle reads this copy")

// pinState is what replicate tracks about one inode for passthrough.
type pinState struct {
	child   int  // the pinned child; -1 while none is
	refs    int  // fds counted in the pin (see BackingFile)
	writers int  // fds open for writing
	busy    int  // data transactions in flight
	healing bool // a data heal runs: no pin may start
	// exposed: an fd open for writing shares the kernel's backing file
	// (the kernel maps it for mmap), so the other copies were blamed
	// and are healed from the pinned one when the pin ends.
	exposed bool
}

// pinTable holds the pinState of the inodes that have one.
type pinTable struct {
	mu sync.Mutex
	m  map[xlator.GFID]*pinState
}

func newPinTable() *pinTable { return &pinTable{m: map[xlator.GFID]*pinState{}} }

// get returns g's state, creating it (mu held).
func (t *pinTable) get(g xlator.GFID) *pinState {
	p := t.m[g]
	if p == nil {
		p = &pinState{child: -1}
		t.m[g] = p
	}
	return p
}

// tidy drops g's state when nothing is tracked any more (mu held).
func (t *pinTable) tidy(g xlator.GFID, p *pinState) {
	if p.child < 0 && p.refs == 0 && p.writers == 0 && p.busy == 0 && !p.healing {
		delete(t.m, g)
	}
}

// isWriter reports whether an open with flags may change the file's data.
func isWriter(flags uint32) bool {
	return flags&syscall.O_ACCMODE != syscall.O_RDONLY || flags&syscall.O_TRUNC != 0
}

// trackOpen counts a newly opened file fd (state s) that may write.
func (r *Replicate) trackOpen(fd *xlator.FD, s *fdState) {
	g := fd.GFID()
	if g.IsZero() || !isWriter(fd.Flags) {
		return
	}
	r.pins.mu.Lock()
	r.pins.get(g).writers++
	r.pins.mu.Unlock()
	s.mu.Lock()
	s.writer = true
	s.mu.Unlock()
}

// untrack undoes what trackOpen and BackingFile counted for fd (state s)
// at its release. The last pin reference ends the pin; an exposed inode
// is then queued for the heal of its other copies.
func (r *Replicate) untrack(fd *xlator.FD, s *fdState) {
	s.mu.Lock()
	writer, pinned := s.writer, s.pinned
	s.writer, s.pinned = false, false
	s.mu.Unlock()
	if !writer && !pinned {
		return
	}
	g := fd.GFID()
	heal := false
	r.pins.mu.Lock()
	p := r.pins.get(g)
	if writer {
		p.writers--
	}
	if pinned {
		p.refs--
		if p.refs == 0 {
			heal = p.exposed
			p.child, p.exposed = -1, false
		}
	}
	r.pins.tidy(g, p)
	r.pins.mu.Unlock()
	if heal {
		r.healer.remember(g, nil)
	}
}

// BacksReadsOnly marks that BackingFile never offers a backing file for
// an fd open for writing (xlator.ReadOnlyBackingFiler): every write
// comes here, to reach every copy.
func (r *Replicate) BacksReadsOnly() {}

// BackingFile answers the FUSE bridge, which asks for every handle it
// opens (xlator.BackingFiler): the descriptor of the pinned child's copy
// when the kernel may serve fd's reads from it. That is a read-only open
// of a regular file, opened on every child, all of them up, no copy
// blamed for the data, no fd of the inode open for writing, no data
// transaction or heal of it under way, and the read child a brick that
// offers a backing file; the child is then pinned. While the inode is
// pinned, the kernel requires every handle of it to share that backing
// file (reads and writes of those that are not passthrough still come
// here, FOPEN_DIRECT_IO), so each handle asked counts in the pin; an fd
// open for writing among them could write to the pinned copy alone
// through a shared mapping, so the other copies are blamed then.
func (r *Replicate) BackingFile(fd *xlator.FD) (int, bool) {
	s := r.fdOf(fd)
	g := fd.GFID()
	if s == nil || g.IsZero() {
		return -1, false
	}
	if r.inodes.get(g) == nil {
		r.refresh(context.WithoutCancel(r.runCtx), g, &fd.Loc)
	}
	write := isWriter(fd.Flags)
	r.pins.mu.Lock()
	// Read under mu: a blame is recorded while its transaction counts
	// as busy, so this state has every blame of a finished one.
	in := r.inodes.get(g)
	p := r.pins.get(g)
	if p.child >= 0 {
		// Pinned: this handle shares the kernel's backing file.
		child := p.child
		s.mu.Lock()
		if !s.pinned {
			s.pinned = true
			p.refs++
		}
		s.mu.Unlock()
		expose := write && !p.exposed
		if expose {
			p.exposed = true
		}
		readOK := !write && p.writers == 0
		r.pins.mu.Unlock()
		if expose {
			r.exposePinned(fd, child)
		}
		if !readOK {
			return -1, false
		}
		return r.childBacking(child, fd)
	}
	defer func() {
		r.pins.tidy(g, p)
		r.pins.mu.Unlock()
	}()
	if write || p.writers > 0 || p.busy > 0 || p.healing || in == nil {
		return -1, false
	}
	child, ok := r.passthroughChild(fd, s, in)
	if !ok {
		return -1, false
	}
	ufd, ok := r.childBacking(child, fd)
	if !ok {
		return -1, false
	}
	p.child, p.refs = child, 1
	s.mu.Lock()
	s.pinned = true
	s.mu.Unlock()
	return ufd, true
}

// passthroughChild returns the child whose copy a new passthrough handle
// of fd may read: every child up and holding fd open, a regular file,
// every copy good for data, the one reads would use.
func (r *Replicate) passthroughChild(fd *xlator.FD, s *fdState, in *inodeInfo) (int, bool) {
	if in.typ != syscall.S_IFREG || in.mismatch || in.split[tData] || len(in.readable[tData]) != len(r.kids) {
		return -1, false
	}
	on := r.openedOn(fd)
	for i := range r.kids {
		if !on[i] || !in.readable[tData][i] {
			return -1, false
		}
	}
	i, err := r.chooseRead(in, tData, on, fd.GFID(), nil)
	return i, err == nil
}

// childBacking asks child i for the backing file of fd.
func (r *Replicate) childBacking(i int, fd *xlator.FD) (int, bool) {
	bf, ok := r.kids[i].(xlator.BackingFiler)
	if !ok {
		return -1, false
	}
	return bf.BackingFile(fd)
}

// exposePinned blames, on the pinned child, every other copy for the data
// of fd's inode: a handle open for writing now shares the kernel's backing
// file, and a shared writable mapping of it writes to the pinned copy
// only, unseen by replicate. Reads that come here use the pinned copy from
// now on, and the heal queued when the pin ends brings the others in line.
func (r *Replicate) exposePinned(fd *xlator.FD, child int) {
	g := fd.GFID()
	others := make([]bool, len(r.kids))
	for i := range others {
		others[i] = i != child
	}
	x := r.marks(counters{}, others, one(tData))
	ctx := context.WithoutCancel(r.runCtx)
	tg := target{gfid: g, loc: nameless(g)}
	if err := r.xattrop(ctx, child, &tg, x); err != nil {
		r.Log().Warn("blaming the other copies of a file open for writing beside a passthrough reader failed", "path", fd.Loc.Path, "child", r.kids[child].Name(), "err", err)
	}
	r.inodes.blame(g, tData, others)
	r.Log().Debug("file opened for writing beside a passthrough reader: other copies blamed until healed", "path", fd.Loc.Path, "child", r.kids[child].Name())
}

// enterData starts a data transaction on g: no pin may start until
// exitData. It returns the pinned child, or -1.
func (r *Replicate) enterData(g xlator.GFID) int {
	r.pins.mu.Lock()
	defer r.pins.mu.Unlock()
	p := r.pins.get(g)
	p.busy++
	return p.child
}

// exitData ends what enterData started.
func (r *Replicate) exitData(g xlator.GFID) {
	r.pins.mu.Lock()
	defer r.pins.mu.Unlock()
	p := r.pins.get(g)
	p.busy--
	r.pins.tidy(g, p)
}

// pinnedFirst runs fop on the pinned child first and, only if it
// succeeded there, on the other participants in parallel. When the pinned
// child fails or does not take part, nothing is done elsewhere: its
// error (EIO when it is left out) is the answer and the others are
// reported as left out (ENOTCONN).
func (r *Replicate) pinnedFirst(ctx context.Context, op, path string, parts []bool, pinned int, fop func(i int) error) []error {
	errs := make([]error, len(r.kids))
	for i := range errs {
		errs[i] = syscall.ENOTCONN
	}
	if !parts[pinned] {
		errs[pinned] = xlator.Wrap(op, path, syscall.EIO)
		r.Log().Warn("the copy an open passthrough handle reads cannot take the change: failing it on every copy", "op", op, "path", path, "child", r.kids[pinned].Name())
		return errs
	}
	if errs[pinned] = fop(pinned); errs[pinned] != nil {
		if errors.Is(errs[pinned], syscall.ENOTCONN) {
			errs[pinned] = xlator.Wrap(op, path, syscall.EIO)
		}
		r.Log().Debug("failed on the pinned copy: not done on the others", "op", op, "path", path, "child", r.kids[pinned].Name(), "err", errs[pinned])
		return errs
	}
	rest := append([]bool(nil), parts...)
	rest[pinned] = false
	for i, e := range r.fanOut(ctx, rest, fop) {
		if i != pinned {
			errs[i] = e
		}
	}
	return errs
}

// pinnedFailed reports whether errs is pinnedFirst's answer for a change
// made nowhere.
func pinnedFailed(pinned int, errs []error) bool {
	return pinned >= 0 && errs[pinned] != nil
}

// startHeal marks g's data heal as running (no pin may start until
// endHeal) and returns the pinned child (-1 if none) and whether an
// fd open for writing shares its backing file.
func (r *Replicate) startHeal(g xlator.GFID) (int, bool) {
	r.pins.mu.Lock()
	defer r.pins.mu.Unlock()
	p := r.pins.get(g)
	p.healing = true
	return p.child, p.exposed
}

// endHeal ends what startHeal started.
func (r *Replicate) endHeal(g xlator.GFID) {
	r.pins.mu.Lock()
	defer r.pins.mu.Unlock()
	p := r.pins.get(g)
	p.healing = false
	r.pins.tidy(g, p)
}

// pinHealPlan makes a data heal of an inode pinned on child leave that
// child alone: it must be the source (it holds every change made while
// pinned), else the heal waits for the pin to end (errPinned). It waits
// too while an fd open for writing shares the backing file (exposed):
// a shared mapping could still write to the pinned copy after the heal.
func (r *Replicate) pinHealPlan(p *healPlan, child int, exposed bool, override int) error {
	if exposed || override >= 0 && override != child || !p.ok[child] {
		return errPinned
	}
	if p.source != child {
		if v := decide(p.states, tData); v.SplitBrain || !v.Sources[child] {
			return errPinned
		}
		p.source = child
	}
	if count(p.sinks) > 0 {
		// The plan heals every other answering copy, or none.
		for i := range p.sinks {
			p.sinks[i] = p.ok[i] && i != child
		}
	}
	return nil
}
