package loomcli

import (
	"errors"
	"fmt"
	"sync"

	"golang.org/x/sys/unix"
)

// flusher writes the file systems of a migration's directories to disk
// (syncfs) in the background. The copy leaves about as much dirty data
// as it copied in the page cache (a gigabyte waits 30 s for the kernel's
// writeback), and finish must not say "done" before NEW is on disk:
// starting the write-back as soon as the copy is over lets it run while
// finish verifies and strips, instead of after.
type flusher struct {
	dirs []string

	mu      sync.Mutex
	running chan struct{} // closed when the syncfs under way ends; nil if none
	err     error         // the first error of a syncfs
}

func newFlusher(dirs ...string) *flusher { return &flusher{dirs: dirs} }

// start begins a syncfs of every directory's file system unless one is
// under way.
func (f *flusher) start() {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.running != nil {
		return
	}
	done := make(chan struct{})
	f.running = done
	go func() {
		err := syncFS(f.dirs)
		f.mu.Lock()
		f.err = errors.Join(f.err, err)
		f.running = nil
		f.mu.Unlock()
		close(done)
	}()
}

// finish waits for the syncfs under way, then syncs once more (what was
// written since it began), and returns any error of either.
func (f *flusher) finish() error {
	f.mu.Lock()
	done := f.running
	f.mu.Unlock()
	if done != nil {
		<-done
	}
	err := syncFS(f.dirs)
	f.mu.Lock()
	defer f.mu.Unlock()
	return errors.Join(f.err, err)
}

// syncFS calls syncfs once for each file system that holds one of dirs.
func syncFS(dirs []string) error {
	seen := map[uint64]bool{}
	for _, d := range dirs {
		fd, err := unix.Open(d, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
		if err != nil {
			return fmt.Errorf("writing %s to disk: %w", d, err)
		}
		var st unix.Stat_t
		if err := unix.Fstat(fd, &st); err != nil || !seen[st.Dev] {
			seen[st.Dev] = true
			err = unix.Syncfs(fd)
		}
		unix.Close(fd)
		if err != nil {
			return fmt.Errorf("writing %s to disk: %w", d, err)
		}
	}
	return nil
}
