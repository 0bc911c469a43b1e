package locks_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/loom-fs/loom/xlator"
)

// occupancy checks mutual exclusion: it counts holders per byte of a
// small file, writers as -1000 so that any overlap shows.
type occupancy struct {
	bytes [64]atomic.Int64
}

// enter records a lock of typ over [start, end] and reports whether it
// overlaps a conflicting one.
func (o *occupancy) enter(typ xlator.LockType, start, end int64) (clash bool) {
	for i := start; i <= end; i++ {
		if typ == xlator.WriteLock {
			if o.bytes[i].Add(-1000) != -1000 {
				clash = true
			}
		} else if o.bytes[i].Add(1) < 0 {
			clash = true
		}
	}
	return clash
}

// leave undoes enter.
func (o *occupancy) leave(typ xlator.LockType, start, end int64) {
	for i := start; i <= end; i++ {
		if typ == xlator.WriteLock {
			o.bytes[i].Add(1000)
		} else {
			o.bytes[i].Add(-1)
		}
	}
}

// Many owners take overlapping POSIX locks on two files, two at a time in
// random order with F_SETLKW, and inode locks in one domain: every run
// finishes (deadlocks are refused with EDEADLK and retried), no two
// conflicting locks are ever held together, and nothing is left.
func TestContention(t *testing.T) {
	l := newLocks(t)
	files := []*xlator.FD{create(t, l, "f"), create(t, l, "g")}
	occ := []*occupancy{{}, {}}
	inodeOcc := &occupancy{}
	const owners, rounds = 16, 200
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	var deadlocks atomic.Int64
	errc := make(chan error, owners*2)
	for o := range owners {
		wg.Add(2)
		go func() {
			defer wg.Done()
			errc <- posixWorker(ctx, l, files, occ, uint64(o+1), rounds, &deadlocks)
		}()
		go func() {
			defer wg.Done()
			errc <- inodeWorker(ctx, l, files[0], inodeOcc, uint64(o+1), rounds)
		}()
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		if err != nil {
			t.Error(err)
		}
	}
	if d := l.Dump(); d != "" {
		t.Errorf("locks left after every worker unlocked:\n%s", d)
	}
	t.Logf("%d requests refused with EDEADLK and retried", deadlocks.Load())
}

// posixWorker takes two random locks (one per file, random order), checks
// exclusion, and unlocks, rounds times.
func posixWorker(ctx context.Context, l lockFops, files []*xlator.FD, occ []*occupancy, id uint64, rounds int, deadlocks *atomic.Int64) error {
	rng := rand.New(rand.NewPCG(id, 7))
	c := &xlator.Call{LockOwner: id, PID: uint32(id)}
	for r := 0; r < rounds; r++ {
		order := rng.Perm(2)
		type held struct {
			file       int
			typ        xlator.LockType
			start, end int64
		}
		var got []held
		retry := false
		for _, fi := range order {
			start := rng.Int64N(60)
			end := min(start+rng.Int64N(8), 63)
			typ := xlator.LockType(rng.IntN(2))
			_, err := l.Lk(ctx, c, files[fi], xlator.LkSetWait, xlator.Flock{Type: typ, Start: start, Len: end - start + 1})
			if errors.Is(err, syscall.EDEADLK) {
				deadlocks.Add(1)
				retry = true
				break
			}
			if err != nil {
				return fmt.Errorf("owner %d round %d: setlkw: %w", id, r, err)
			}
			if occ[fi].enter(typ, start, end) {
				return fmt.Errorf("owner %d round %d: %v lock %d-%d on file %d granted over a conflicting one", id, r, typ, start, end, fi)
			}
			got = append(got, held{fi, typ, start, end})
		}
		for _, h := range got {
			occ[h.file].leave(h.typ, h.start, h.end)
		}
		for _, f := range files {
			if _, err := l.Lk(ctx, c, f, xlator.LkSet, xlator.Flock{Type: xlator.Unlock}); err != nil {
				return fmt.Errorf("owner %d: unlock: %w", id, err)
			}
		}
		if retry {
			r--
		}
	}
	return nil
}

// inodeWorker takes one inode lock at a time, blocking, in the domain
// "stress" of fd's inode, checks exclusion and unlocks it, rounds times.
func inodeWorker(ctx context.Context, l lockFops, fd *xlator.FD, occ *occupancy, id uint64, rounds int) error {
	rng := rand.New(rand.NewPCG(id, 11))
	c := &xlator.Call{Client: "internal", LockOwner: id}
	for r := 0; r < rounds; r++ {
		start := rng.Int64N(60)
		end := min(start+rng.Int64N(16), 63)
		typ := xlator.LockType(rng.IntN(2))
		lk := xlator.Flock{Type: typ, Start: start, Len: end - start + 1}
		if err := l.Finodelk(ctx, c, "stress", fd, xlator.LkSetWait, lk); err != nil {
			return fmt.Errorf("inode owner %d round %d: %w", id, r, err)
		}
		clash := occ.enter(typ, start, end)
		occ.leave(typ, start, end)
		if clash {
			return fmt.Errorf("inode owner %d round %d: %v lock %d-%d granted over a conflicting one", id, r, typ, start, end)
		}
		lk.Type = xlator.Unlock
		if err := l.Finodelk(ctx, c, "stress", fd, xlator.LkSet, lk); err != nil {
			return fmt.Errorf("inode owner %d round %d: unlock: %w", id, r, err)
		}
	}
	return nil
}

// lockFops is the part of the translator the workers use.
type lockFops interface {
	Lk(ctx context.Context, c *xlator.Call, fd *xlator.FD, cmd xlator.LkCmd, lk xlator.Flock) (xlator.Flock, error)
	Finodelk(ctx context.Context, c *xlator.Call, domain string, fd *xlator.FD, cmd xlator.LkCmd, lk xlator.Flock) error
}
