package replicate

import (
	"bytes"
	"context"
	"errors"
	"syscall"

	"github.com/loom-fs/loom/xlator"
)

// Seek whence values.
const (
	seekData = 3
	seekHole = 4
)

// healData makes the sinks' contents equal to the source's: in chunks,
// each under its own range lock so writers keep going between chunks;
// chunks whose contents already match are not written; holes of the
// source stay holes (SEEK_DATA/SEEK_HOLE on the source, a punched hole on
// the sink where it has data). The final size is set and the changelog
// cleared under the file's full lock.
func (r *Replicate) healData(ctx context.Context, g xlator.GFID, force bool, policy string, override int) (_ bool, err error) {
	hl, err := r.lockInode(ctx, r.healDomain, g, r.upSet())
	if err != nil {
		return false, err
	}
	defer hl.release()
	r.eager.flush(g)
	pinned, exposed := r.startHeal(g)
	defer r.endHeal(g)
	p, err := r.plan(ctx, g, tData, force, policy, override)
	if err != nil {
		return false, err
	}
	if count(p.sinks) == 0 {
		return false, nil
	}
	if pinned >= 0 {
		if err := r.pinHealPlan(p, pinned, exposed, override); err != nil {
			return false, err
		}
	}
	src := p.source
	fd := xlator.NewFD(nameless(g), syscall.O_RDWR, false)
	opened := make([]bool, len(r.kids))
	defer func() {
		for i, o := range opened {
			if o {
				r.kids[i].Release(context.Background(), xlator.RootCall(), fd)
			}
		}
	}()
	for i := range r.kids {
		if i == src || p.sinks[i] {
			if err := r.kids[i].Open(ctx, xlator.RootCall(), fd); err != nil {
				if i == src {
					return false, err
				}
				p.sinks[i] = false
				continue
			}
			opened[i] = true
		}
	}
	// Writing moves the sinks' mtime: blame their metadata around it.
	blame := r.newMetaBlame(g, only(len(r.kids), src), p.states)
	for i := range r.kids {
		if p.sinks[i] {
			if err := blame.before(ctx, i); err != nil {
				return false, err
			}
		}
	}
	defer func() {
		if aerr := blame.after(ctx); aerr != nil && err == nil {
			err = aerr
		}
	}()
	size := int64(p.states[src].Stat.Size)
	sinkSize := make([]int64, len(r.kids))
	for i := range r.kids {
		sinkSize[i] = int64(p.states[i].Stat.Size)
	}
	chunk := r.healer.chunk
	bp, op := r.healer.buffers.get(), r.healer.buffers.get()
	defer r.healer.buffers.put(bp)
	defer r.healer.buffers.put(op)
	buf, other := *bp, *op
	for off := int64(0); off < size; off += chunk {
		if err := ctx.Err(); err != nil {
			return false, err
		}
		r.healer.waitResumed(ctx)
		n := min(chunk, size-off)
		held, err := r.acquireAll(ctx, []lockReq{{domain: r.domain, gfid: g, start: off, length: n}}, opened)
		if err != nil {
			return false, err
		}
		copied, err := r.healChunk(ctx, fd, src, p.sinks, sinkSize, off, n, buf[:n], other[:n])
		held.release()
		if err != nil {
			return false, err
		}
		r.healer.progressBytes(ctx, g, copied)
		r.healer.throttle(ctx, copied)
	}
	held, err := r.lockInode(ctx, r.domain, g, opened)
	if err != nil {
		return false, err
	}
	defer held.release()
	st, err := r.kids[src].Fstat(ctx, xlator.RootCall(), fd)
	if err != nil {
		return false, err
	}
	for i := range r.kids {
		if p.sinks[i] {
			if _, err := r.kids[i].Ftruncate(ctx, xlator.RootCall(), fd, st.Size); err != nil {
				return false, err
			}
		}
	}
	r.clearChangelog(ctx, g, tData, p)
	return true, nil
}

// healChunk brings [off, off+n) of every sink in line with the source and
// returns the bytes written.
func (r *Replicate) healChunk(ctx context.Context, fd *xlator.FD, src int, sinks []bool, sinkSize []int64, off, n int64, buf, other []byte) (int64, error) {
	c := xlator.RootCall()
	end := off + n
	var written int64
	for pos := off; pos < end; {
		d, err := r.kids[src].Seek(ctx, c, fd, pos, seekData)
		if errors.Is(err, syscall.ENXIO) || err == nil && d >= end {
			d = end
		} else if err != nil {
			d = pos // no SEEK_DATA: treat all as data
		}
		if d > pos {
			// [pos, d) is a hole in the source.
			for i := range r.kids {
				if sinks[i] && pos < sinkSize[i] {
					if err := r.kids[i].Discard(ctx, c, fd, pos, min(d, sinkSize[i])-pos); err != nil && !errors.Is(err, syscall.EOPNOTSUPP) {
						return written, err
					}
				}
			}
			pos = d
			continue
		}
		h, err := r.kids[src].Seek(ctx, c, fd, pos, seekHole)
		if err != nil || h > end {
			h = end
		}
		seg := buf[pos-off : h-off]
		m, err := readFull(ctx, r.kids[src], fd, seg, pos)
		if err != nil {
			return written, err
		}
		seg = seg[:m]
		for i := range r.kids {
			if !sinks[i] {
				continue
			}
			if pos < sinkSize[i] {
				o := other[:len(seg)]
				k, err := readFull(ctx, r.kids[i], fd, o, pos)
				if err == nil && k == len(seg) && bytes.Equal(o, seg) {
					continue
				}
			}
			if _, err := r.kids[i].Write(ctx, c, fd, seg, pos); err != nil {
				return written, err
			}
			written += int64(len(seg))
		}
		if m == 0 {
			break
		}
		pos += int64(m)
	}
	return written, nil
}

// readFull reads len(b) bytes at off (fewer at the end of the file).
func readFull(ctx context.Context, t xlator.Translator, fd *xlator.FD, b []byte, off int64) (int, error) {
	done := 0
	for done < len(b) {
		n, err := t.Read(ctx, xlator.RootCall(), fd, b[done:], off+int64(done))
		if err != nil {
			return done, err
		}
		if n == 0 {
			break
		}
		done += n
	}
	return done, nil
}
