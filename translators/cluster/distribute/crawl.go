package distribute

import (
	"context"
	"sort"
	"sync"
	"syscall"
	"time"

	"github.com/loom-fs/loom/xlator"
)

// crawl walks every directory depth first (names sorted, so the order is
// the same each time), fixing each one's layout and, for "start",
// migrating its misplaced files and then committing the layout. A
// checkpoint is saved after each directory; directories a previous run
// finished (skipDirs) only have their layout checked.
func (r *rebalancer) crawl(ctx context.Context, mode string, skipDirs int64, last string) error {
	d := r.d
	if mode == "start" {
		r.setPhase("counting")
		if err := d.walk(ctx, rootLoc(), func(dir *xlator.Loc) error { return r.count(ctx, dir) }); err != nil {
			return err
		}
		r.setPhase("migrating")
	} else {
		r.setPhase("fixing layouts")
	}
	d.saveCheckpoint(ctx, checkpoint{State: StateRunning, Mode: mode, DirsDone: skipDirs, Last: last})
	var n int64
	return d.walk(ctx, rootLoc(), func(dir *xlator.Loc) error {
		n++
		lay, err := d.fixLayout(ctx, dir)
		if err != nil {
			return err
		}
		if mode == "start" && n > skipDirs {
			if err := r.migrateDir(ctx, dir, lay); err != nil {
				return err
			}
		}
		r.c.dirs.Add(1)
		if n > skipDirs {
			d.saveCheckpoint(ctx, checkpoint{State: StateRunning, Mode: mode, DirsDone: n, Last: dir.Path})
		}
		return ctx.Err()
	})
}

// walk calls fn on dir and then on each subdirectory, depth first, names
// sorted. Each directory is looked up first (healing it onto subvolumes
// that lack it, such as a new one).
func (d *Distribute) walk(ctx context.Context, dir *xlator.Loc, fn func(*xlator.Loc) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	st, _, err := d.lookupDir(ctx, xlator.RootCall(), dir, nil)
	if err != nil {
		return xlator.Wrap("rebalance lookup", dir.Path, err)
	}
	dir.GFID = st.GFID
	if err := fn(dir); err != nil {
		return err
	}
	first := d.firstUp()
	if first < 0 {
		return syscall.ENOTCONN
	}
	ents, err := d.list(ctx, first, dir)
	if err != nil {
		return xlator.Wrap("rebalance list", dir.Path, err)
	}
	var subdirs []string
	for _, e := range ents {
		if e.Type == syscall.S_IFDIR && e.Name != "." && e.Name != ".." {
			subdirs = append(subdirs, e.Name)
		}
	}
	sort.Strings(subdirs)
	for _, name := range subdirs {
		if err := d.walk(ctx, dir.Child(name), fn); err != nil {
			return err
		}
	}
	return nil
}

// targetLayout is the layout fix-layout gives dir, whose layout is cur,
// now: spread evenly over the active subvolumes, each keeping as much of
// its range in cur as it can (Rebuild), so that only the files whose
// hash now falls elsewhere move.
func (d *Distribute) targetLayout(dir *xlator.Loc, cur Layout, version uint32) Layout {
	return Rebuild(cur, d.active(), rotation(dir.GFID), version, false)
}

// fixLayout spreads dir's layout over the active subvolumes (a new
// version, not committed) unless it already is spread so.
func (d *Distribute) fixLayout(ctx context.Context, dir *xlator.Loc) (Layout, error) {
	unlock, err := d.lockInode(ctx, 0, dir, d.domain+layoutDomain)
	if err != nil {
		return nil, err
	}
	defer unlock()
	cur, err := d.readLayout(ctx, dir)
	if err != nil {
		return nil, xlator.Wrap("rebalance read layout", dir.Path, err)
	}
	want := d.targetLayout(dir, cur, cur.MaxVersion()+1)
	if cur.Problem() == "" && Same(cur, want) {
		d.layouts.set(dir.GFID, cur)
		return cur, nil
	}
	if err := d.writeLayout(ctx, dir, want); err != nil {
		return nil, err
	}
	return want, nil
}

// commitLayout marks dir's layout committed: its files are placed.
func (d *Distribute) commitLayout(ctx context.Context, dir *xlator.Loc, lay Layout) error {
	unlock, err := d.lockInode(ctx, 0, dir, d.domain+layoutDomain)
	if err != nil {
		return err
	}
	defer unlock()
	cur, err := d.readLayout(ctx, dir)
	if err != nil || !Same(cur, lay) || cur.MaxVersion() != lay.MaxVersion() {
		return err // changed meanwhile: left uncommitted
	}
	for i := range cur {
		cur[i].Committed = true
	}
	return d.writeLayout(ctx, dir, cur)
}

// count adds dir's misplaced files to the totals, by the layout
// fix-layout is about to give it.
func (r *rebalancer) count(ctx context.Context, dir *xlator.Loc) error {
	d := r.d
	cur, err := d.readLayout(ctx, dir)
	if err != nil {
		return xlator.Wrap("rebalance read layout", dir.Path, err)
	}
	lay := d.targetLayout(dir, cur, 0)
	for i := range d.kids {
		ents, err := d.list(ctx, i, dir)
		if err != nil {
			return xlator.Wrap("rebalance count", dir.Path, err)
		}
		for _, e := range ents {
			if e.Name == "." || e.Name == ".." || !e.HasStat {
				continue
			}
			h, err := lay.Search(Hash(e.Name))
			if err != nil {
				continue
			}
			if Decide(d.facts(&e, i, h, nil)) == Migrate {
				r.c.totalFiles.Add(1)
				r.c.totalBytes.Add(int64(e.Stat.Size))
			}
		}
	}
	return nil
}

// facts describes entry e found on child on, hashing to h.
func (d *Distribute) facts(e *xlator.DirEntry, on, h int, spaces []Space) EntryFacts {
	f := EntryFacts{Dir: e.Stat.IsDir(), Link: isLinkFile(&e.Stat), Nlink: e.Stat.Nlink, On: on, Hashed: h,
		Decommission: d.decommissioned()[on]}
	if spaces != nil {
		f.TargetFull = d.reserve.Full(spaces[h])
	}
	return f
}

// job is one file to migrate.
type job struct {
	dir      *xlator.Loc
	e        xlator.DirEntry
	from, to int
}

// busyRetries is how often a pass over files that were open is repeated.
const busyRetries = 3

// migrateDir migrates dir's misplaced files with the configured number of
// workers, removes link files the layout no longer needs, and commits the
// layout when every file is in place.
func (r *rebalancer) migrateDir(ctx context.Context, dir *xlator.Loc, lay Layout) error {
	d := r.d
	spaces := d.space.get(ctx)
	var jobs []job
	var staleLinks []job
	for i := range d.kids {
		ents, err := d.list(ctx, i, dir)
		if err != nil {
			return xlator.Wrap("rebalance list", dir.Path, err)
		}
		for _, e := range ents {
			if e.Name == "." || e.Name == ".." || !e.HasStat {
				continue
			}
			h, err := lay.Search(Hash(e.Name))
			if err != nil {
				return xlator.Wrap("rebalance layout search", dir.Path, syscall.EIO)
			}
			f := d.facts(&e, i, h, spaces)
			if !f.Dir {
				r.c.scanned.Add(1)
			}
			if f.Link && h != i {
				staleLinks = append(staleLinks, job{dir: dir, e: e, from: i, to: h})
			}
			switch a := Decide(f); a {
			case Migrate:
				jobs = append(jobs, job{dir: dir, e: e, from: i, to: h})
			case SkipHardLinks, SkipTargetFull:
				r.skip(dir.Child(e.Name).Path, a.String())
			}
		}
	}
	left := 0
	for round := 0; len(jobs) > 0; round++ {
		busy := r.runJobs(ctx, jobs)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if round == busyRetries {
			for _, j := range busy {
				r.skip(j.dir.Child(j.e.Name).Path, "open or changing during every attempt")
			}
			left = len(busy)
			break
		}
		jobs = busy
		if len(jobs) > 0 {
			time.Sleep(time.Duration(round+1) * 100 * time.Millisecond)
		}
	}
	for _, j := range staleLinks {
		d.removeLink(ctx, j.from, j.dir.Child(j.e.Name))
	}
	if left == 0 && !lay.Committed() {
		return d.commitLayout(ctx, dir, lay)
	}
	return nil
}

// runJobs migrates jobs with the configured workers and returns those
// that found their file busy.
func (r *rebalancer) runJobs(ctx context.Context, jobs []job) []job {
	var mu sync.Mutex
	var busy []job
	ch := make(chan job)
	var wg sync.WaitGroup
	for w := 0; w < r.d.workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range ch {
				n, err := r.d.migrate(ctx, &j)
				switch {
				case err == nil:
					r.c.migrated.Add(1)
					r.c.bytes.Add(n)
				case err == errGone:
				case err == errBusy:
					mu.Lock()
					busy = append(busy, j)
					mu.Unlock()
				case ctx.Err() != nil:
				default:
					r.c.failed.Add(1)
					r.note(j.dir.Child(j.e.Name).Path, "failed: "+err.Error())
					r.d.Log().Warn("migration failed", "path", j.dir.Child(j.e.Name).Path, "from", r.d.kids[j.from].Name(), "to", r.d.kids[j.to].Name(), "err", err)
				}
			}
		}()
	}
	for _, j := range jobs {
		if ctx.Err() != nil {
			break
		}
		ch <- j
	}
	close(ch)
	wg.Wait()
	return busy
}
