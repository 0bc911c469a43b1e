package replicate_test

import (
	"context"
	"fmt"
	"syscall"
	"testing"

	"github.com/loom-fs/loom/xlator"
	"github.com/loom-fs/loom/xlator/xlatortest"
)

// The fop path's CPU cost per operation, in process (no FUSE): a small
// file's create (with one 4 KiB write, flush and release), its lookup
// and its unlink, through replicate(2) over posix+locks bricks and, for
// comparison, through one posix+locks brick alone. Run with
// `go test -run XXX -bench FopPath -benchtime 5000x` with TMPDIR on a
// tmpfs; besides ns/op and allocs/op it reports the process's CPU time
// (user and system) and context switches per operation, which move much
// less than the wall clock on a shared machine.

// benchGraph builds n posix+locks bricks, under replicate when rep.
func benchGraph(b *testing.B, rep bool) xlator.Translator {
	b.Helper()
	var specs []xlator.VolumeSpec
	var kids []xlator.SubvolumeRef
	n := 1
	if rep {
		n = 2
	}
	for i := 0; i < n; i++ {
		p, l := fmt.Sprintf("posix%d", i), fmt.Sprintf("locks%d", i)
		specs = append(specs, xlatortest.PosixSpec(p, b.TempDir()),
			xlator.VolumeSpec{Name: l, Type: "features/locks", Subvolumes: []xlator.SubvolumeRef{{Name: p}}})
		kids = append(kids, xlator.SubvolumeRef{Name: l})
	}
	if rep {
		specs = append(specs, xlator.VolumeSpec{Name: "rep", Type: "cluster/replicate", Subvolumes: kids})
	}
	return xlatortest.Build(b, specs).Top()
}

func BenchmarkFopPath(b *testing.B) {
	for _, rep := range []bool{false, true} {
		name := "posix"
		if rep {
			name = "replicate2"
		}
		for _, phase := range []string{"create", "lookup", "lookup-changelog", "unlink"} {
			b.Run(name+"/"+phase, func(b *testing.B) { benchFopPath(b, rep, phase) })
		}
	}
}

// benchFopPath times phase over b.N files in a fresh graph; the files
// the lookup and unlink phases need are made untimed first.
func benchFopPath(b *testing.B, rep bool, phase string) {
	top := benchGraph(b, rep)
	ctx := context.Background()
	c := xlator.RootCall()
	root := xlator.RootLoc()
	rootSt, _, err := top.Lookup(ctx, c, root, nil)
	if err != nil {
		b.Fatal(err)
	}
	root.GFID = rootSt.GFID
	data := make([]byte, 4096)
	files := b.N
	locs := make([]*xlator.Loc, files)
	loc := func(k int) *xlator.Loc {
		n := fmt.Sprintf("f%06d", k)
		return &xlator.Loc{Path: "/" + n, Parent: root.GFID, Name: n}
	}
	create := func() {
		for k := 0; k < files; k++ {
			fd := &xlator.FD{Loc: *loc(k), Flags: syscall.O_RDWR | syscall.O_CREAT | syscall.O_EXCL}
			st, err := top.Create(ctx, c, fd, 0o644, 0)
			if err != nil {
				b.Fatal(err)
			}
			locs[k] = &xlator.Loc{Path: fd.Loc.Path, Parent: root.GFID, Name: fd.Loc.Name, GFID: st.GFID}
			if _, err := top.Write(ctx, c, fd, data, 0); err != nil {
				b.Fatal(err)
			}
			if err := top.Flush(ctx, c, fd); err != nil {
				b.Fatal(err)
			}
			if err := top.Release(ctx, c, fd); err != nil {
				b.Fatal(err)
			}
		}
	}
	if phase != "create" {
		create()
	}
	b.ReportAllocs()
	var ru0, ru1 syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru0)
	b.ResetTimer()
	defer func() {
		b.StopTimer()
		_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru1)
		cpu := syscall.TimevalToNsec(ru1.Utime) + syscall.TimevalToNsec(ru1.Stime) -
			syscall.TimevalToNsec(ru0.Utime) - syscall.TimevalToNsec(ru0.Stime)
		b.ReportMetric(float64(cpu)/float64(files), "cpu-ns/op")
		b.ReportMetric(float64(ru1.Nvcsw+ru1.Nivcsw-ru0.Nvcsw-ru0.Nivcsw)/float64(files), "ctxsw/op")
	}()
	switch phase {
	case "create":
		create()
	case "lookup":
		for k := 0; k < files; k++ {
			if _, _, err := top.Lookup(ctx, c, loc(k), nil); err != nil {
				b.Fatal(err)
			}
		}
	case "lookup-changelog":
		req := xlator.XData{"loom.dirty": nil, "loom.pending.locks1": nil}
		for k := 0; k < files; k++ {
			if _, _, err := top.Lookup(ctx, c, loc(k), req); err != nil {
				b.Fatal(err)
			}
		}
	case "unlink":
		for k := 0; k < files; k++ {
			if err := top.Unlink(ctx, c, locs[k]); err != nil {
				b.Fatal(err)
			}
		}
	}
}
