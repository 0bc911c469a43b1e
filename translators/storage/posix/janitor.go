package posix

import (
	"sync"
	"syscall"
	"time"

	"github.com/loom-fs/loom/xlator"
	"golang.org/x/sys/unix"
)

// janitorQueueMax bounds the orphans waiting for the janitor; past it an
// unlink removes its handle itself, so a burst cannot grow memory without
// limit.
const janitorQueueMax = 1 << 16

// janitorDelay is how long the janitor lets orphans gather after the
// first one before it works through them.
const janitorDelay = 20 * time.Millisecond

// dirtyMarker is the file in .loom that says a process has the brick
// open (each open brick holds a shared flock on it). Present but held by
// no one when a brick opens, it means the last process did not close the
// brick cleanly (a crash, kill -9), so orphan handles may be left: the
// janitor then crawls the whole index once.
const dirtyMarker = "open"

// orphan is a handle that may have lost its file's last name: the GFID
// the unlink was told, and the inode that name had, to check the handle
// is that file's before removing it.
type orphan struct {
	g   xlator.GFID
	ino uint64
	dev uint64
}

// janitor removes the handles of files whose last name was unlinked, off
// the request path: an unlink that was told the file's GFID (the FUSE
// bridge always tells it) removes only the name, and queues the handle
// here. Each handle is checked again before it goes: still one link only
// (no new name since), the same inode, and not open (an open file keeps
// its handle until its last release). Until then the handle is an orphan
// that resolveGFID refuses (ENOENT), so the delay is invisible to clients:
// it checks the link count of the handles queued here (and of every
// handle while a crawl runs), so other nameless fops pay nothing.
type janitor struct {
	mu    sync.Mutex
	queue []orphan
	// pending counts the queued orphans by GFID, until they are dealt
	// with: resolveGFID checks these handles' link counts.
	pending map[xlator.GFID]int
	scan    bool // crawl the whole index (after a crash, or a wrong GFID)
	// scanning is set from a crawl's request to its end: any handle
	// may be an orphan meanwhile.
	scanning bool
	busy     bool // the goroutine is working on a batch
	stopped  bool
	wake     chan struct{}
	quit     chan struct{} // closed by stop: no more waiting for a batch
	idle     *sync.Cond    // signalled when the queue is empty and not busy
	done     chan struct{}
}

// startJanitor starts the brick's janitor; scan asks it to crawl the
// index first.
func (p *Posix) startJanitor(scan bool) {
	j := &p.janitor
	j.wake = make(chan struct{}, 1)
	j.quit = make(chan struct{})
	j.done = make(chan struct{})
	j.idle = sync.NewCond(&j.mu)
	j.pending = make(map[xlator.GFID]int)
	j.scan, j.scanning = scan, scan
	go p.janitorLoop()
	if scan {
		j.kick()
	}
}

// kick wakes the janitor goroutine.
func (j *janitor) kick() {
	select {
	case j.wake <- struct{}{}:
	default:
	}
}

// add queues o; it reports false when the queue is full or the janitor
// stopped, and the caller must then deal with o itself.
func (j *janitor) add(o orphan) bool {
	j.mu.Lock()
	if j.stopped || j.wake == nil || len(j.queue) >= janitorQueueMax {
		j.mu.Unlock()
		return false
	}
	j.queue = append(j.queue, o)
	j.pending[o.g]++
	first := len(j.queue) == 1
	j.mu.Unlock()
	if first {
		j.kick()
	}
	return true
}

// requestScan asks for a crawl of the whole index.
func (j *janitor) requestScan() {
	j.mu.Lock()
	j.scan, j.scanning = true, true
	j.mu.Unlock()
	j.kick()
}

// mayBeOrphan reports whether g's handle may have lost its last name
// without being removed yet: it is queued, or a crawl is under way.
func (j *janitor) mayBeOrphan(g xlator.GFID) bool {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.scanning || j.pending[g] > 0
}

// settled records that the queued orphan o was dealt with.
func (j *janitor) settled(o orphan) {
	j.mu.Lock()
	if j.pending[o.g]--; j.pending[o.g] <= 0 {
		delete(j.pending, o.g)
	}
	j.mu.Unlock()
}

// drain waits until the janitor has nothing queued and is not working.
func (j *janitor) drain() {
	j.mu.Lock()
	for j.wake != nil && !j.stopped && (len(j.queue) > 0 || j.scan || j.busy) {
		j.idle.Wait()
	}
	j.mu.Unlock()
}

// stop finishes the queued work and ends the goroutine.
func (j *janitor) stop() {
	j.mu.Lock()
	if j.wake == nil || j.stopped {
		j.mu.Unlock()
		return
	}
	j.stopped = true
	j.mu.Unlock()
	close(j.quit)
	j.kick()
	<-j.done
}

// janitorLoop takes the queue a batch at a time until stopped; a stop
// still finishes what is queued.
func (p *Posix) janitorLoop() {
	j := &p.janitor
	defer close(j.done)
	for {
		<-j.wake
		// Let a burst of unlinks gather into one batch: an add wakes
		// the janitor only when it finds the queue empty, so this
		// keeps the wake-ups (a futex on the unlink's path each) to a
		// few per second.
		select {
		case <-time.After(janitorDelay):
		case <-j.quit:
		}
		for {
			j.mu.Lock()
			batch, scan, stopped := j.queue, j.scan, j.stopped
			j.queue, j.scan = nil, false
			j.busy = len(batch) > 0 || scan
			if !j.busy {
				j.idle.Broadcast()
				j.mu.Unlock()
				if stopped {
					return
				}
				break
			}
			j.mu.Unlock()
			for _, o := range batch {
				p.dropOrphan(o)
				j.settled(o)
			}
			if scan {
				p.scanIndex()
			}
			j.mu.Lock()
			j.busy = false
			if scan && !j.scan {
				j.scanning = false
			}
			j.mu.Unlock()
		}
	}
}

// orphaned deals with the handle of g after the unlink of its last name
// (us: that name's stat, taken before): an open file keeps it until its
// last release; otherwise the janitor removes it. The caller holds g's
// lock.
func (p *Posix) orphaned(g xlator.GFID, us *unix.Stat_t) {
	if p.opens.markUnlinked(g) {
		return
	}
	o := orphan{g: g, ino: us.Ino, dev: us.Dev}
	if !p.janitor.add(o) {
		p.dropOrphanLocked(o)
	}
}

// dropOrphan removes o's handle if it is still an orphan.
func (p *Posix) dropOrphan(o orphan) {
	mu := p.locks.of(o.g)
	mu.Lock()
	p.dropOrphanLocked(o)
	mu.Unlock()
}

// dropOrphanLocked is dropOrphan with g's lock held: the handle goes if
// it is o's inode with no other link and not open. An open file is left
// to its last release. A handle of another inode means the GFID the
// unlink was told was not the file's: the index is crawled to find the
// real orphan.
func (p *Posix) dropOrphanLocked(o orphan) {
	if p.opens.markUnlinked(o.g) {
		return
	}
	rel := handleRel(o.g)
	var hs unix.Stat_t
	if err := fstatat(p.metaFd, rel, &hs, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return
	}
	if hs.Ino != o.ino || hs.Dev != o.dev {
		p.janitor.requestScan()
		return
	}
	if hs.Nlink != 1 {
		return
	}
	if err := unix.Unlinkat(p.metaFd, rel, 0); err != nil && err != syscall.ENOENT {
		p.Log().Warn("removing handle of unlinked file", "gfid", o.g, "err", err)
	}
}

// isOrphanHandle reports whether hs, the stat of g's handle, is the
// handle of a non-directory that has no name left: a hard link with no
// other link (a directory's handle is a symlink of its own, which carries
// no GFID xattr; a user's symlink's handle is a hard link that does).
func (p *Posix) isOrphanHandle(g xlator.GFID, hs *unix.Stat_t) bool {
	switch hs.Mode & unix.S_IFMT {
	case unix.S_IFDIR:
		return false
	case unix.S_IFLNK:
		if !p.isObjectHandle(g) {
			return false
		}
	}
	return hs.Nlink == 1
}

// scanIndex crawls the handle index and removes every orphan handle
// (nothing but the handle left, not open). It runs when the brick opens
// after an unclean stop, and when an unlink named a GFID that was not the
// file's. It also records the buckets it finds.
func (p *Posix) scanIndex() {
	removed := 0
	for _, xx := range p.readNames(p.metaFd, ".") {
		if len(xx) != 2 || !isHex(xx) {
			continue
		}
		for _, yy := range p.readNames(p.metaFd, xx) {
			if len(yy) != 2 || !isHex(yy) {
				continue
			}
			bucket := xx + "/" + yy
			for _, name := range p.readNames(p.metaFd, bucket) {
				g, err := xlator.ParseGFID(name)
				if err != nil || handleRel(g) != bucket+"/"+name {
					continue // a temporary symlink, or not ours
				}
				p.buckets.add(g)
				if p.dropIfOrphan(g) {
					removed++
				}
			}
		}
	}
	if removed > 0 {
		p.Log().Info("removed orphan handles", "count", removed)
	}
}

// dropIfOrphan removes g's handle if it is an orphan and not open.
func (p *Posix) dropIfOrphan(g xlator.GFID) bool {
	mu := p.locks.of(g)
	mu.Lock()
	defer mu.Unlock()
	if p.opens.isOpen(g) {
		return false
	}
	rel := handleRel(g)
	var hs unix.Stat_t
	if err := fstatat(p.metaFd, rel, &hs, unix.AT_SYMLINK_NOFOLLOW); err != nil || !p.isOrphanHandle(g, &hs) {
		return false
	}
	if err := unix.Unlinkat(p.metaFd, rel, 0); err != nil && err != syscall.ENOENT {
		p.Log().Warn("removing orphan handle", "gfid", g, "err", err)
		return false
	}
	return true
}

// readNames lists the directory rel below dirfd (without . and ..);
// errors give an empty list.
func (p *Posix) readNames(dirfd int, rel string) []string {
	fd, err := openat(dirfd, rel, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil
	}
	defer unix.Close(fd)
	var names []string
	buf := make([]byte, 32<<10)
	for {
		n, err := unix.Getdents(fd, buf)
		if err != nil || n <= 0 {
			return names
		}
		_, _, names = unix.ParseDirent(buf[:n], -1, names)
	}
}

// isHex reports whether s is lower-case hexadecimal, as bucket names are.
func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// markOpen opens the marker .loom/open, creating it if needed, and
// holds a shared flock on it for as long as the brick is open. It
// reports unclean when the marker was there with no holder: the last
// process to serve the brick did not close it (a crash, kill -9). A
// marker held by another live brick on the same directory (the old graph
// during a volfile reload) is not a crash: that brick's janitor deals
// with its own orphans.
func (p *Posix) markOpen() (unclean bool, err error) {
	rel := metaDir + "/" + dirtyMarker
	for try := 0; ; try++ {
		fd, err := openat(p.rootFd, rel, unix.O_RDWR|unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o600)
		existed := err == syscall.EEXIST
		if existed {
			fd, err = openat(p.rootFd, rel, unix.O_RDWR|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
		}
		if err == syscall.ENOENT && try < 8 {
			continue // removed by a brick closing just now
		}
		if err != nil {
			return false, err
		}
		unclean = existed && unix.Flock(fd, unix.LOCK_EX|unix.LOCK_NB) == nil
		if err := unix.Flock(fd, unix.LOCK_SH); err != nil {
			unix.Close(fd)
			return false, err
		}
		// A brick closing may have removed the marker between our open
		// and our lock: then hold the new one instead.
		var a, b unix.Stat_t
		if unix.Fstat(fd, &a) == nil && fstatat(p.rootFd, rel, &b, unix.AT_SYMLINK_NOFOLLOW) == nil &&
			a.Ino == b.Ino && a.Dev == b.Dev || try >= 8 {
			p.markFd = fd
			return unclean, nil
		}
		unix.Close(fd)
	}
}

// markClosed is called once the janitor has finished: the last brick
// holding the marker removes it (under an exclusive flock, so no other
// holder is left), and the descriptor is closed.
func (p *Posix) markClosed() {
	if p.markFd < 0 {
		return
	}
	if unix.Flock(p.markFd, unix.LOCK_EX|unix.LOCK_NB) == nil {
		if err := unix.Unlinkat(p.rootFd, metaDir+"/"+dirtyMarker, 0); err != nil && err != syscall.ENOENT {
			p.Log().Warn("removing the brick's open marker", "err", err)
		}
	}
	unix.Close(p.markFd)
	p.markFd = -1
}
