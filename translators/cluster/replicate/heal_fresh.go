package replicate

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"syscall"

	"github.com/loom-fs/loom/xlator"
	"golang.org/x/sys/unix"
)

// freshFileMax is the largest file healNew copies under one lock held for
// the whole copy; bigger files are healed chunk by chunk (healData), so
// that writers are never held up for long.
const freshFileMax = 8 << 20

// chunkPool recycles data heal buffers (a fresh 1 MiB buffer per file
// was a sixth of a full heal's CPU time, in zeroing alone).
type chunkPool struct {
	size int64
	p    sync.Pool
}

func newChunkPool(size int64) *chunkPool {
	c := &chunkPool{size: size}
	c.p.New = func() any { b := make([]byte, size); return &b }
	return c
}

func (c *chunkPool) get() *[]byte  { return c.p.Get().(*[]byte) }
func (c *chunkPool) put(b *[]byte) { c.p.Put(b) }

// healNew heals a regular file an entry heal has just created, empty, on
// the sinks from the source src (the migration case: a fresh brick). It
// does what healInode would, with a fraction of the fops: under the
// file's data and metadata locks (held for the whole copy, so no writer
// through any mount can interleave; files bigger than freshFileMax go
// the chunked way), one lookup on each copy checks that nothing but the
// entry heal's own blame is there and that the sinks are still empty;
// then the data is copied with no comparison (holes skipped with
// SEEK_DATA/SEEK_HOLE), the xattrs, owner, mode and times are set once,
// and the changelog is cleared once. Anything unexpected (a writer
// filled a sink, a split-brain, a big file) falls back to healInode.
func (r *Replicate) healNew(ctx context.Context, j *freshJob) error {
	defer j.release()
	if j.size > freshFileMax || !r.heal.data || !r.heal.meta {
		j.release()
		_, err := r.healInode(ctx, j.gfid, false)
		return err
	}
	done, err := r.healNewLocked(ctx, j)
	if err != nil || done {
		return err
	}
	j.release()
	_, err = r.healInode(ctx, j.gfid, false)
	return err
}

// healNewLocked is healNew's fast path; false means it did not apply.
func (r *Replicate) healNewLocked(ctx context.Context, j *freshJob) (bool, error) {
	g, typ, src, sinks := j.gfid, j.typ, j.src, j.sinks
	parts := append([]bool(nil), sinks...)
	parts[src] = true
	reg := typ == syscall.S_IFREG
	// A regular file is healed under its data and metadata locks, taken
	// by one request per copy; other types need the metadata lock only.
	lock := lockReq{domain: r.metaDomain, gfid: g}
	if reg {
		r.eager.flush(g)
		lock = lockReq{domain: r.domain, also: r.metaDomain, gfid: g}
	}
	held, err := r.acquireAll(ctx, []lockReq{lock}, parts)
	if err != nil {
		return false, err
	}
	defer held.release()
	if reg {
		// An open passthrough handle pins the copy it reads (pin.go):
		// this heal writes only to sinks, so it may run when the pinned
		// copy is the source and no fd open for writing shares it;
		// anything else is healData's to decide (it waits for the pin).
		// No pin starts while the heal runs.
		pinned, exposed := r.startHeal(g)
		defer r.endHeal(g)
		if pinned >= 0 && (exposed || pinned != src) {
			return false, nil
		}
	}
	loc := nameless(g) // shared by every fop below: none changes it
	// A small file on a source that is not a local file (through
	// protocol/client) comes with its lookup: no open, read and release
	// round trips on the source.
	ask := -1
	if reg && j.size <= xlator.MaxContent && !localChild(r.kids[src]) {
		ask = src
	}
	states := r.lookupEach(ctx, loc, ask)
	if !freshPlanOK(states, typ, src, sinks) {
		return false, nil
	}
	c := xlator.RootCall()
	st := states[src].Stat
	// fds holds a regular file's open descriptor on every copy healed;
	// the xattrs, attributes and changelog go through them too (no
	// resolution of the GFID on the brick). Other types have none.
	fds := make([]*xlator.FD, len(r.kids))
	if reg {
		// The sinks write through the descriptors their creates
		// opened; a sink without one, and the source, are opened here.
		// The source is read with O_NOATIME, so the copy leaves its
		// times as the lookup under the locks saw them.
		for i := range r.kids {
			if sinks[i] && j.fds != nil && j.fds[i] != nil {
				fds[i] = j.fds[i]
			}
		}
		// Contents read under the locks, without holes (a hole reads
		// as zero sectors: copyFreshDense), are written as they are;
		// the source needs no descriptor then.
		content, haveContent := states[src].Content, false
		if states[src].ContentKnown && uint64(len(content)) == st.Size && (len(content) == 0 || everySectorNonzero(content)) {
			haveContent = true
		}
		var opened []int
		defer func() {
			for _, i := range opened {
				r.kids[i].Release(context.Background(), c, fds[i])
			}
		}()
		noatime := haveContent // read with O_NOATIME by the lookup
		for i := range r.kids {
			if !parts[i] || fds[i] != nil || (i == src && haveContent) {
				continue
			}
			flags := uint32(syscall.O_WRONLY)
			if i == src {
				flags = syscall.O_RDONLY | syscall.O_NOATIME
			}
			fds[i] = xlator.NewFD(loc, flags, false)
			err := r.kids[i].Open(ctx, c, fds[i])
			if err != nil && i == src && errors.Is(err, syscall.EPERM) {
				fds[i] = xlator.NewFD(loc, syscall.O_RDONLY, false)
				err = r.kids[i].Open(ctx, c, fds[i])
			} else if err == nil && i == src {
				noatime = true
			}
			if err != nil {
				return false, err
			}
			opened = append(opened, i)
		}
		var written int64
		if haveContent {
			written, err = r.writeFresh(ctx, fds, sinks, content)
		} else {
			written, err = r.copyFresh(ctx, fds, src, sinks, st)
		}
		if err != nil {
			return false, err
		}
		r.healer.progressBytes(ctx, g, written)
		r.healer.throttle(ctx, written)
		if !noatime {
			// Reading may have moved the source's atime: take the
			// times after.
			if now, err := r.kids[src].Fstat(ctx, c, fds[src]); err == nil {
				st = now
			}
		}
	}
	// The lookups under the metadata lock listed the xattr names where
	// the children could: no xattr transaction has changed them since.
	want, err := r.xattrsKnown(ctx, src, loc, fds[src], &states[src])
	if err != nil {
		return false, err
	}
	for i := range r.kids {
		if !sinks[i] {
			continue
		}
		have, err := r.xattrsKnown(ctx, i, loc, fds[i], &states[i])
		if err != nil {
			return false, err
		}
		xchanged, err := r.syncXattrsFrom(ctx, i, loc, fds[i], have, want)
		if err != nil {
			return false, err
		}
		attr := freshAttr(st, states[i].Stat, typ, xchanged)
		if fds[i] != nil {
			_, err = r.kids[i].Fsetattr(ctx, c, fds[i], attr)
		} else {
			_, err = r.kids[i].Setattr(ctx, c, loc, attr)
		}
		if err != nil {
			return false, err
		}
	}
	// Clear what was there when the locks were taken: no transaction of
	// either kind can have changed it since.
	for i := range r.kids {
		if !parts[i] {
			continue
		}
		if i != src && j.newBricks != nil && j.newBricks[i] && states[i].Dirty.isZero() {
			// Nothing to clear on a sink that was a new brick when
			// the crawl began: it blames nobody (freshPlanOK), its
			// dirty count is zero, and its index holds no record of
			// an earlier inode of this GFID (it had no records when
			// its brick opened, and this inode never had a count).
			continue
		}
		x := xlator.XData{}
		if i == src {
			for j := range r.kids {
				if sinks[j] {
					p := states[src].Pending[j]
					if sub := (counters{-max(p[tData], 0), -max(p[tMeta], 0), 0}); !sub.isZero() {
						x[r.pendingKeys[j]] = sub.encode()
					}
				}
			}
		}
		if d := states[i].Dirty; d[tData] != 0 || d[tMeta] != 0 {
			x[dirtyKey] = counters{-d[tData], -d[tMeta], 0}.encode() // to exactly zero
		}
		if fds[i] != nil {
			_, err = r.kids[i].Fxattrop(ctx, c, fds[i], xlator.AddArray32, r.withoutSelf(r.withAllKeys(x), i))
		} else {
			_, err = r.kids[i].Xattrop(ctx, c, loc, xlator.AddArray32, r.withoutSelf(r.withAllKeys(x), i))
		}
		if err != nil {
			r.Log().Warn("clearing the changelog after a heal failed", "gfid", g, "child", r.kids[i].Name(), "err", err)
		}
	}
	r.inodes.forget(g)
	return true, nil
}

// contentReq asks a lookup for a file's contents up to MaxContent.
var contentReq = xlator.ContentRequest(xlator.MaxContent)

// localChild reports whether t keeps its files locally below nothing
// but data-transparent translators (see localFile).
func localChild(t xlator.Translator) bool {
	_, ok := backingLeaf(t)
	return ok
}

// xattrNamesReq asks a lookup for the entry's xattr names too.
var xattrNamesReq = xlator.XData{xlator.XDataXattrNames: nil}

// xattrsKnown is xattrsVia with the names st's lookup listed, when it
// did: no listxattr round trip, and none at all for a copy without
// xattrs.
func (r *Replicate) xattrsKnown(ctx context.Context, i int, loc *xlator.Loc, fd *xlator.FD, st *replyState) (map[string][]byte, error) {
	if !st.XattrNamesKnown {
		return r.xattrsVia(ctx, i, loc, fd)
	}
	return r.xattrsNamed(ctx, i, loc, fd, st.XattrNames)
}

// freshAttr is what a new entry's heal sets on a sink whose stat was
// have (from the lookup under the locks) to give it the source's st: the
// times always; owner and mode only where they differ, since the entry
// heal created the sink's copy with the source's owner and mode. Both are
// set as before when the sink's xattrs were just changed (an access ACL
// carries mode bits), and the mode whenever the source has a set-id bit
// (writing the copy may have cleared it on the sink). Setting the owner
// clears set-id bits, so the mode is set with it.
func freshAttr(st, have xlator.Stat, typ uint32, xattrsChanged bool) *xlator.SetAttr {
	attr := &xlator.SetAttr{Valid: xlator.SetAtime | xlator.SetMtime, Atime: st.Atime, Mtime: st.Mtime}
	if xattrsChanged || have.UID != st.UID || have.GID != st.GID {
		attr.Valid |= xlator.SetUID | xlator.SetGID
		attr.UID, attr.GID = st.UID, st.GID
	}
	if typ != syscall.S_IFLNK && (attr.Valid&xlator.SetUID != 0 || st.Mode&(syscall.S_ISUID|syscall.S_ISGID) != 0 ||
		have.Mode&0o7777 != st.Mode&0o7777) {
		attr.Valid |= xlator.SetMode
		attr.Mode = st.Mode & 0o7777
	}
	return attr
}

// freshPlanOK reports whether the lookups show what healNew expects: the
// same entry of type typ everywhere, src a source for data and metadata
// that blames every sink for metadata (and a regular file's data), the
// sinks empty and blaming nobody.
func freshPlanOK(states []replyState, typ uint32, src int, sinks []bool) bool {
	if !states[src].OK || mismatch(states) || states[src].Stat.Type() != typ {
		return false
	}
	reg := typ == syscall.S_IFREG
	for typ := tData; typ <= tMeta; typ++ {
		v := decide(states, typ)
		if v.SplitBrain || !v.Sources[src] {
			return false
		}
	}
	for j := range sinks {
		if !sinks[j] {
			continue
		}
		s := &states[j]
		if !s.OK || j >= len(states[src].Pending) || states[src].Pending[j][tMeta] <= 0 ||
			reg && (s.Stat.Size != 0 || states[src].Pending[j][tData] <= 0) {
			return false
		}
		for k := range s.Pending {
			if !s.Pending[k].isZero() {
				return false
			}
		}
	}
	return true
}

// copyFresh copies the source's data to empty sinks: no comparison, no
// discard (an empty file has no data where the source has holes), and a
// final ftruncate where the source ends in a hole. The caller holds the
// file's whole data lock. When every copy is a local file (see
// localFile), the kernel copies the data (copy_file_range) instead of
// this process reading and writing it.
func (r *Replicate) copyFresh(ctx context.Context, fds []*xlator.FD, src int, sinks []bool, st xlator.Stat) (int64, error) {
	if local := r.localFiles(fds, src, sinks); local != nil {
		n, err := r.copyFreshBy(ctx, fds, src, sinks, st, func(pos, h int64) (int64, error) {
			return copyLocal(local, src, sinks, pos, h)
		})
		if !errors.Is(err, errNoLocalCopy) {
			return n, err
		}
		// The kernel cannot copy between these files: through this
		// process, from the start (rewriting what a sink may have got
		// with the same bytes).
	}
	c := xlator.RootCall()
	bp := r.healer.buffers.get()
	defer r.healer.buffers.put(bp)
	buf := *bp
	if n, ok, err := r.copyFreshDense(ctx, fds, src, sinks, st, buf); ok || err != nil {
		return n, err
	}
	return r.copyFreshBy(ctx, fds, src, sinks, st, func(start, h int64) (int64, error) {
		pos := start
		for pos < h {
			n := min(int64(len(buf)), h-pos)
			m, err := readFull(ctx, r.kids[src], fds[src], buf[:n], pos)
			if err != nil || m == 0 {
				return pos - start, err
			}
			for i := range r.kids {
				if sinks[i] {
					if _, err := r.kids[i].Write(ctx, c, fds[i], buf[:m], pos); err != nil {
						return pos - start, err
					}
				}
			}
			pos += int64(m)
		}
		return pos - start, nil
	})
}

// writeFresh writes a new file's whole contents, read by the lookup
// under its locks, to every sink and returns the bytes written.
func (r *Replicate) writeFresh(ctx context.Context, fds []*xlator.FD, sinks []bool, data []byte) (int64, error) {
	if len(data) == 0 {
		return 0, nil
	}
	var written int64
	c := xlator.RootCall()
	for i := range r.kids {
		if sinks[i] {
			if _, err := r.kids[i].Write(ctx, c, fds[i], data, 0); err != nil {
				return written, err
			}
			written += int64(len(data))
		}
	}
	return written, nil
}

// holeGrain is the smallest hole a file system can have: no block is
// smaller than a 512-byte sector.
const holeGrain = 512

// copyFreshDense copies a source file that fits in buf without asking
// where its holes are, when its contents show it has none: a hole reads
// as zeros over at least a whole aligned sector, so a file in which
// every aligned sector (the last, partial one too) holds a nonzero byte
// has no hole. Through protocol/client that saves the SEEK_HOLE round
// trip of nearly every file, and a small file's read is answered from
// its open reply (quick-read). ok is false, with nothing written, when
// the file does not qualify; copyFreshBy then copies it.
func (r *Replicate) copyFreshDense(ctx context.Context, fds []*xlator.FD, src int, sinks []bool, st xlator.Stat, buf []byte) (written int64, ok bool, err error) {
	size := int64(st.Size)
	if size == 0 || size > int64(len(buf)) {
		return 0, false, nil
	}
	data := buf[:size]
	m, err := readFull(ctx, r.kids[src], fds[src], data, 0)
	if err != nil || int64(m) != size || !everySectorNonzero(data) {
		return 0, false, nil // copyFreshBy reads again, hole by hole
	}
	written, err = r.writeFresh(ctx, fds, sinks, data)
	return written, true, err
}

// everySectorNonzero reports whether each aligned holeGrain-byte piece
// of b holds a nonzero byte.
func everySectorNonzero(b []byte) bool {
	for len(b) > 0 {
		n := min(len(b), holeGrain)
		if allZero(b[:n]) {
			return false
		}
		b = b[n:]
	}
	return true
}

// allZero reports whether every byte of b is zero.
func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

// copyFreshBy is copyFresh with the copy of each range of data given:
// copyRange copies [pos, h) to every sink and returns how many bytes each
// got, fewer only where the source ended first.
func (r *Replicate) copyFreshBy(ctx context.Context, fds []*xlator.FD, src int, sinks []bool, st xlator.Stat,
	copyRange func(pos, h int64) (int64, error)) (int64, error) {
	c := xlator.RootCall()
	size := int64(st.Size)
	// A file of one block that has one block allocated has no hole.
	dense := size <= 4096 && st.Blocks > 0
	nsinks := int64(count(sinks))
	var written, end int64
	for pos := int64(0); pos < size; {
		if err := ctx.Err(); err != nil {
			return written, err
		}
		h := size
		if !dense {
			// SEEK_HOLE first: in a file without holes it is the only
			// seek (the hole at the end); SEEK_DATA only after a hole.
			hole, err := r.kids[src].Seek(ctx, c, fds[src], pos, seekHole)
			switch {
			case errors.Is(err, syscall.ENXIO):
				pos = size
				continue
			case err != nil:
				hole = size // no SEEK_HOLE: treat all as data
			}
			if hole == pos {
				d, err := r.kids[src].Seek(ctx, c, fds[src], pos, seekData)
				switch {
				case errors.Is(err, syscall.ENXIO):
					pos = size
					continue
				case err != nil:
					d = pos
				}
				if d >= size {
					break
				}
				pos = d
				if hole, err = r.kids[src].Seek(ctx, c, fds[src], pos, seekHole); err != nil {
					hole = size
				}
			}
			h = min(hole, size)
		}
		n, err := copyRange(pos, h)
		written += n * nsinks
		if n > 0 {
			end = pos + n
		}
		if err != nil {
			return written, err
		}
		if pos+n < h || h >= size {
			break // the source ended (early), or all is copied
		}
		pos = h
	}
	if end < size {
		for i := range r.kids {
			if sinks[i] {
				if _, err := r.kids[i].Ftruncate(ctx, c, fds[i], uint64(size)); err != nil {
					return written, err
				}
			}
		}
	}
	return written, nil
}

// errNoLocalCopy reports that copy_file_range cannot copy between two
// files (other file systems, an old kernel).
var errNoLocalCopy = errors.New("no copy_file_range between these files")

// dataTransparent names the translator types that neither look at nor
// change file data, so that a heal holding a file's whole data lock may
// copy the file's data below them (features/locks arbitrates locks only;
// features/index watches xattrops only).
var dataTransparent = map[string]bool{"features/locks": true, "features/index": true}

// localFile returns the OS descriptor behind fd on translator t: t's own
// when it keeps its files locally (xlator.BackingFiler, storage/posix),
// or that of its only child when t is data-transparent. ok is false for
// anything else (protocol/client, a translator that sees data).
func localFile(t xlator.Translator, fd *xlator.FD) (int, bool) {
	bf, ok := backingLeaf(t)
	if !ok {
		return -1, false
	}
	return bf.BackingFile(fd)
}

// backingLeaf returns t when it keeps its files locally
// (xlator.BackingFiler), or the one below the chain of data-transparent
// translators that t starts.
func backingLeaf(t xlator.Translator) (xlator.BackingFiler, bool) {
	for depth := 0; depth < 8; depth++ {
		if bf, ok := t.(xlator.BackingFiler); ok {
			return bf, true
		}
		kids := t.Children()
		if !dataTransparent[t.Type()] || len(kids) != 1 {
			return nil, false
		}
		t = kids[0]
	}
	return nil, false
}

// localFiles returns the OS descriptors of the source and sinks, indexed
// by child, when every one of them is a local file; else nil.
func (r *Replicate) localFiles(fds []*xlator.FD, src int, sinks []bool) []int {
	out := make([]int, len(r.kids))
	for i := range r.kids {
		if i != src && !sinks[i] {
			continue
		}
		fd, ok := localFile(r.kids[i], fds[i])
		if !ok {
			return nil
		}
		out[i] = fd
	}
	return out
}

// copyLocal copies [pos, h) of the source to every sink with
// copy_file_range and returns how many bytes each got (less than h-pos
// only if the source ended first). errNoLocalCopy means nothing was
// copied and the kernel cannot do it.
func copyLocal(fds []int, src int, sinks []bool, pos, h int64) (int64, error) {
	got := h - pos
	for i := range sinks {
		if !sinks[i] {
			continue
		}
		in, out := pos, pos
		for in < pos+got {
			n, err := unix.CopyFileRange(fds[src], &in, fds[i], &out, int(min(pos+got-in, 1<<30)), 0)
			if err != nil {
				if in == pos && (err == syscall.EXDEV || err == syscall.EINVAL || err == syscall.EOPNOTSUPP || err == syscall.ENOSYS) {
					return 0, errNoLocalCopy
				}
				return in - pos, fmt.Errorf("heal copy: copy_file_range: %w", err)
			}
			if n == 0 {
				got = in - pos // the source ended
				break
			}
		}
	}
	return got, nil
}

// freshJob is one inode an entry heal created on one or more sinks.
type freshJob struct {
	r     *Replicate
	gfid  xlator.GFID
	typ   uint32
	src   int
	sinks []bool
	size  uint64
	fds   []*xlator.FD // per sink: the create's open descriptor, or nil
	// newBricks, when not nil, says per child whether its brick root
	// had no GFID when the brick opened (a full crawl's newBricks): a
	// sink there needs no changelog-clearing xattrop after the heal.
	newBricks []bool
}

// release closes the descriptors the creates left open (once).
func (j *freshJob) release() {
	for i, fd := range j.fds {
		if fd != nil {
			j.r.kids[i].Release(context.Background(), xlator.RootCall(), fd)
			j.fds[i] = nil
		}
	}
}

// freshJobs groups what an entry heal created (other than directories)
// by inode: one job per inode, with every sink it was created on;
// newBricks is as in freshJob (nil: none is known to be new).
func (r *Replicate) freshJobs(created []newEntry, newBricks []bool) []freshJob {
	var jobs []freshJob
	at := map[xlator.GFID]int{}
	for _, ne := range created {
		if ne.dir {
			continue
		}
		k, ok := at[ne.gfid]
		if !ok || jobs[k].src != ne.src {
			at[ne.gfid] = len(jobs)
			k = len(jobs)
			jobs = append(jobs, freshJob{r: r, gfid: ne.gfid, typ: ne.typ, src: ne.src, sinks: make([]bool, len(r.kids)), size: ne.size, newBricks: newBricks})
		}
		jobs[k].sinks[ne.sink] = true
		if ne.fd != nil {
			if jobs[k].fds == nil {
				jobs[k].fds = make([]*xlator.FD, len(r.kids))
			}
			if old := jobs[k].fds[ne.sink]; old != nil {
				r.kids[ne.sink].Release(context.Background(), xlator.RootCall(), old)
			}
			jobs[k].fds[ne.sink] = ne.fd
		}
	}
	return jobs
}

// lookupEach is lookupAll (without a request of its own) one child after
// the other, in the calling goroutine: a new file's heal runs many at
// once, and a goroutine per lookup cost more (its start, its stack
// growing through the translators, the wake-ups) than the lookups of a
// local brick themselves.
func (r *Replicate) lookupEach(ctx context.Context, loc *xlator.Loc, content int) []replyState {
	up, fresh := r.upSet(), r.freshSet()
	states := make([]replyState, len(r.kids))
	c := xlator.RootCall()
	for i := range r.kids {
		if !up[i] {
			continue
		}
		req := r.changelogReq(xattrNamesReq, i)
		if i == content {
			req[xlator.XDataContent] = contentReq
		}
		st, x, err := r.kids[i].Lookup(ctx, c, loc, req)
		if err != nil {
			continue
		}
		if v, ok := x[xlator.XDataContent]; ok && i == content {
			states[i].Content, states[i].ContentKnown = v, true
		}
		states[i].OK = true
		states[i].Stat = st
		r.parseChangelog(&states[i], x)
		if v, ok := x[xlator.XDataXattrNames]; ok {
			states[i].XattrNames, states[i].XattrNamesKnown = xlator.SplitXattrNames(v), true
		}
		// As in lookupAll: a brick's root counts as fresh only until
		// markFresh has dealt with it.
		states[i].Fresh = states[i].Fresh && fresh[i]
	}
	return states
}

// freshPool heals new files on a fixed set of goroutines, so that a full
// crawl does not start (and grow the stack of) a goroutine per file.
type freshPool struct {
	r    *Replicate
	ctx  context.Context
	size int
	once sync.Once
	jobs chan freshTask
	wg   sync.WaitGroup
}

// freshTask is one job handed to a freshPool, and whom to tell.
type freshTask struct {
	j    *freshJob
	done func(g xlator.GFID, err error)
	wg   *sync.WaitGroup
}

// newFreshPool returns a pool of n goroutines healing under ctx; they
// start with the first job. close ends them.
func (r *Replicate) newFreshPool(ctx context.Context, n int) *freshPool {
	return &freshPool{r: r, ctx: ctx, size: max(n, 1), jobs: make(chan freshTask)}
}

func (p *freshPool) start() {
	p.once.Do(func() {
		for k := 0; k < p.size; k++ {
			p.wg.Add(1)
			go func() {
				defer p.wg.Done()
				for t := range p.jobs {
					t.done(t.j.gfid, p.r.healNew(p.ctx, t.j))
					t.wg.Done()
				}
			}()
		}
	})
}

// close ends the pool's goroutines once the jobs handed to it are done.
func (p *freshPool) close() {
	close(p.jobs)
	p.wg.Wait()
}

// healFresh runs jobs on pool (as many at once as it has goroutines,
// across every caller sharing it) and returns when they are done; done is
// called after each.
func (r *Replicate) healFresh(ctx context.Context, jobs []freshJob, pool *freshPool, done func(g xlator.GFID, err error)) {
	var wg sync.WaitGroup
	for k := range jobs {
		j := &jobs[k]
		r.healer.waitResumed(ctx) // a pause stops the heal between files too
		if ctx.Err() != nil {
			j.release() // not healed: the index or a later crawl will
			continue
		}
		pool.start()
		wg.Add(1)
		pool.jobs <- freshTask{j: j, done: done, wg: &wg}
	}
	wg.Wait()
}
