package distribute

import (
	"bytes"
	"context"
	"errors"
	"syscall"

	"github.com/loom-fs/loom/xlator"
)

// errBusy is a migration given up because the file was open or changed
// meanwhile; it is tried again later.
var errBusy = errors.New("file busy")

// errGone is a migration with nothing to do: the file was renamed or
// removed since its directory was listed (its new name is found later in
// the crawl, or the next run).
var errGone = errors.New("file gone")

// migrateDomain is the inodelk domain suffix a migration's switch holds
// on the source file.
const migrateDomain = ".migrate"

// migrate moves one file from j.from to j.to, its hashed subvolume. The
// copy is made under the file's own name on the destination, as a link
// file pointing back to the source (mode ---------T with loom.dht.linkto),
// so it is never listed and lookups still reach the source. Then, under
// an inode lock on the source and with this process's fops on the file
// held back, the source's size and times are checked unchanged and the
// copy becomes the file (its mode, owner and times set, the linkto
// removed) before the source is unlinked; at no point are there two
// visible data files, and a writer that got in first makes the
// migration start over. It returns the bytes copied.
func (d *Distribute) migrate(ctx context.Context, j *job) (int64, error) {
	g := j.e.Stat.GFID
	if !d.gate.begin(g) {
		return 0, errBusy
	}
	switched := false
	defer func() {
		if !switched {
			d.gate.end(g)
		}
	}()
	rc := xlator.RootCall()
	loc := j.dir.Child(j.e.Name)
	loc.GFID = g
	src, dst := d.kids[j.from], d.kids[j.to]
	st0, err := src.Stat(ctx, rc, loc)
	if stale(err) || (err == nil && (st0.GFID != g || isLinkFile(&st0))) {
		return 0, errGone
	}
	if err != nil {
		return 0, err
	}
	if st0.Nlink > 1 {
		return 0, xlator.Wrap("migrate", loc.Path, syscall.EMLINK)
	}
	// What is already on the destination under this name?
	bare := *loc
	bare.GFID = xlator.GFID{}
	ex, _, err := dst.Lookup(ctx, rc, &bare, nil)
	switch {
	case err == nil && ex.GFID == g && !isLinkFile(&ex):
		// A switch that crashed after the copy became the file: finish it.
		return 0, d.finishSwitch(ctx, j, loc, &st0)
	case err == nil && isLinkFile(&ex):
		el := bare
		el.GFID = ex.GFID
		if err := dst.Unlink(ctx, rc, &el); err != nil && !errors.Is(err, syscall.ENOENT) {
			return 0, err
		}
	case err == nil:
		return 0, xlator.Wrap("migrate: another file has this name on "+dst.Name(), loc.Path, syscall.EEXIST)
	case !errors.Is(err, syscall.ENOENT):
		return 0, err
	}
	if st0.Type() != syscall.S_IFREG {
		return d.migrateSpecial(ctx, j, loc, &st0)
	}
	n, fd, err := d.copyToTemp(ctx, j, loc, &st0)
	if errors.Is(err, syscall.EEXIST) || (fd == nil && errors.Is(err, syscall.ENOENT)) {
		// The GFID or the name appeared on the destination meanwhile
		// (a rename made a link file there), or the directory is not
		// there yet (being healed onto it): look again later.
		return 0, errBusy
	}
	if fd != nil {
		defer dst.Release(context.WithoutCancel(ctx), rc, fd)
	}
	if err != nil {
		d.dropTemp(j, loc)
		if stale(err) {
			// The source was renamed away or removed between the
			// Stat above and its open or read: look again later
			// (then it is gone, or found under its new name).
			return 0, errBusy
		}
		return 0, err
	}
	// The switch.
	cctx := context.WithoutCancel(ctx)
	if !d.gate.startSwitch(g) {
		switched = true // startSwitch forgot the migration
		d.dropTemp(j, loc)
		return 0, errBusy
	}
	switched = true
	defer d.gate.end(g)
	unlock, err := d.lockInode(cctx, j.from, loc, d.domain+migrateDomain)
	if err != nil {
		d.dropTemp(j, loc)
		if stale(err) {
			return 0, errBusy
		}
		return 0, err
	}
	defer unlock()
	st1, err := src.Stat(cctx, rc, loc)
	if err != nil || st1.Size != st0.Size || st1.Mtime != st0.Mtime || st1.Ctime != st0.Ctime || st1.GFID != g {
		d.dropTemp(j, loc)
		return 0, errBusy
	}
	if _, err := dst.Fsetattr(cctx, rc, fd, &xlator.SetAttr{Valid: xlator.SetUID | xlator.SetGID, UID: st0.UID, GID: st0.GID}); err != nil {
		d.dropTemp(j, loc)
		return 0, err
	}
	if _, err := dst.Fsetattr(cctx, rc, fd, &xlator.SetAttr{Valid: xlator.SetMode | xlator.SetAtime | xlator.SetMtime,
		Mode: st0.Mode & 0o7777, Atime: st0.Atime, Mtime: st0.Mtime}); err != nil {
		d.dropTemp(j, loc)
		return 0, err
	}
	return n, d.finishSwitch(cctx, j, loc, &st0)
}

// finishSwitch completes a migration whose destination is the file now:
// it drops the marker, unlinks the source and link files elsewhere.
func (d *Distribute) finishSwitch(ctx context.Context, j *job, loc *xlator.Loc, st *xlator.Stat) error {
	rc := xlator.RootCall()
	dst := d.kids[j.to]
	if err := dst.Removexattr(ctx, rc, loc, linktoXattr); err != nil && !errors.Is(err, syscall.ENODATA) {
		d.Log().Debug("removing the migration marker failed", "path", loc.Path, "err", err)
	}
	d.inodes.set(st.GFID, j.to)
	if err := d.kids[j.from].Unlink(ctx, rc, loc); err != nil && !errors.Is(err, syscall.ENOENT) {
		return xlator.Wrap("migrate: unlink source on "+d.kids[j.from].Name(), loc.Path, err)
	}
	for i := range d.kids {
		if i != j.to && i != j.from && d.isChildUp(i) {
			d.removeLink(ctx, i, loc)
		}
	}
	return nil
}

// copyToTemp creates the destination as a link file back to the source
// and copies the data (holes of whole chunks stay holes) and the
// client-visible xattrs into it. It returns the open destination FD.
func (d *Distribute) copyToTemp(ctx context.Context, j *job, loc *xlator.Loc, st *xlator.Stat) (int64, *xlator.FD, error) {
	rc := xlator.RootCall()
	src, dst := d.kids[j.from], d.kids[j.to]
	out := xlator.NewFD(loc, syscall.O_RDWR|syscall.O_CREAT|syscall.O_EXCL, false)
	if _, err := dst.Create(ctx, rc, out, linkMode, 0); err != nil {
		return 0, nil, xlator.Wrap("migrate: create on "+dst.Name(), loc.Path, err)
	}
	if err := dst.Fsetxattr(ctx, rc, out, linktoXattr, []byte(src.Name()), 0); err != nil {
		return 0, out, err
	}
	in := xlator.NewFD(loc, syscall.O_RDONLY, false)
	if err := src.Open(ctx, rc, in); err != nil {
		return 0, out, err
	}
	defer src.Release(context.WithoutCancel(ctx), rc, in)
	buf := make([]byte, copyChunk)
	zero := make([]byte, copyChunk)
	var off int64
	for off < int64(st.Size) {
		if err := ctx.Err(); err != nil {
			return off, out, err
		}
		n, err := src.Read(ctx, rc, in, buf, off)
		if err != nil {
			return off, out, err
		}
		if n == 0 {
			break
		}
		if !bytes.Equal(buf[:n], zero[:n]) {
			if _, err := dst.Write(ctx, rc, out, buf[:n], off); err != nil {
				return off, out, err
			}
		}
		off += int64(n)
	}
	if _, err := dst.Ftruncate(ctx, rc, out, uint64(off)); err != nil {
		return off, out, err
	}
	names, err := src.Flistxattr(ctx, rc, in)
	if err == nil {
		for _, name := range names {
			if xlator.IsInternalXattr(name) {
				continue
			}
			if v, err := src.Fgetxattr(ctx, rc, in, name); err == nil {
				if err := dst.Fsetxattr(ctx, rc, out, name, v, 0); err != nil {
					return off, out, err
				}
			}
		}
	}
	return off, out, dst.Fsync(ctx, rc, out, false)
}

// dropTemp removes an unfinished destination copy (it is still a link
// file, so nothing was visible).
func (d *Distribute) dropTemp(j *job, loc *xlator.Loc) {
	d.removeLink(context.Background(), j.to, loc)
}

// migrateSpecial moves a symlink, FIFO, socket or device: there is no
// data, so under the lock it is made on the destination and removed
// from the source.
func (d *Distribute) migrateSpecial(ctx context.Context, j *job, loc *xlator.Loc, st *xlator.Stat) (int64, error) {
	rc := xlator.RootCall()
	src, dst := d.kids[j.from], d.kids[j.to]
	g := st.GFID
	var target string
	if st.Type() == syscall.S_IFLNK {
		var err error
		if target, err = src.Readlink(ctx, rc, loc); err != nil {
			return 0, err
		}
	}
	if !d.gate.startSwitch(g) {
		return 0, errBusy
	}
	defer d.gate.end(g)
	cctx := context.WithoutCancel(ctx)
	owner := &xlator.Call{UID: st.UID, GID: st.GID}
	var err error
	if st.Type() == syscall.S_IFLNK {
		_, err = dst.Symlink(cctx, owner, target, loc, 0)
	} else {
		_, err = dst.Mknod(cctx, owner, loc, st.Mode, st.Rdev, 0)
	}
	if err != nil {
		return 0, xlator.Wrap("migrate: make on "+dst.Name(), loc.Path, err)
	}
	return 0, d.finishSwitch(cctx, j, loc, st)
}
