package xlatortest

import (
	"syscall"
	"time"

	"github.com/loom-fs/loom/xlator"
)

func testSetattrMode(f *client) {
	f.writeFile("/f", nil)
	st, err := f.top.Setattr(f.ctx, f.c, f.loc("/f"), &xlator.SetAttr{Valid: xlator.SetMode, Mode: 0o4751})
	if err != nil || st.Mode != syscall.S_IFREG|0o4751 {
		f.t.Fatalf("chmod 4751: mode %o, %v; want %o", st.Mode, err, syscall.S_IFREG|0o4751)
	}
	if got := f.stat("/f"); got.Mode != syscall.S_IFREG|0o4751 {
		f.t.Fatalf("lookup after chmod: mode %o", got.Mode)
	}
	fd := f.open("/f", syscall.O_RDONLY)
	st, err = f.top.Fsetattr(f.ctx, f.c, fd, &xlator.SetAttr{Valid: xlator.SetMode, Mode: 0o600})
	if err != nil || st.Mode != syscall.S_IFREG|0o600 {
		f.t.Fatalf("fchmod 600: mode %o, %v", st.Mode, err)
	}
	d := f.mkdir("/d", 0o755)
	st, err = f.top.Setattr(f.ctx, f.c, f.loc("/d"), &xlator.SetAttr{Valid: xlator.SetMode, Mode: 0o1777})
	if err != nil || st.Mode != syscall.S_IFDIR|0o1777 || st.GFID != d.GFID {
		f.t.Fatalf("chmod a directory 1777: mode %o, %v", st.Mode, err)
	}
}

func testSetattrOwner(f *client) {
	f.writeFile("/f", nil)
	st, err := f.top.Setattr(f.ctx, f.c, f.loc("/f"), &xlator.SetAttr{Valid: xlator.SetUID | xlator.SetGID, UID: 1234, GID: 5678})
	if err != nil || st.UID != 1234 || st.GID != 5678 {
		f.t.Fatalf("chown 1234:5678: %d:%d, %v", st.UID, st.GID, err)
	}
	st, err = f.top.Setattr(f.ctx, f.c, f.loc("/f"), &xlator.SetAttr{Valid: xlator.SetGID, GID: 42})
	if err != nil || st.UID != 1234 || st.GID != 42 {
		f.t.Fatalf("chgrp 42: %d:%d, %v; the owner must stay", st.UID, st.GID, err)
	}
	// chown of a symlink changes the link, never its target.
	f.symlink("f", "/l")
	st, err = f.top.Setattr(f.ctx, f.c, f.loc("/l"), &xlator.SetAttr{Valid: xlator.SetUID, UID: 777})
	if err != nil || st.UID != 777 || st.Type() != syscall.S_IFLNK {
		f.t.Fatalf("lchown: uid %d mode %o, %v", st.UID, st.Mode, err)
	}
	if got := f.stat("/f"); got.UID != 1234 {
		f.t.Fatalf("chown of a link changed its target's owner to %d", got.UID)
	}
}

func testSetattrTimes(f *client) {
	f.writeFile("/f", nil)
	at := xlator.Timespec{Sec: 1_500_000_000, Nsec: 123_456_789}
	mt := xlator.Timespec{Sec: 1_600_000_000, Nsec: 987_654_321}
	st, err := f.top.Setattr(f.ctx, f.c, f.loc("/f"), &xlator.SetAttr{Valid: xlator.SetAtime | xlator.SetMtime, Atime: at, Mtime: mt})
	if err != nil || st.Atime != at || st.Mtime != mt {
		f.t.Fatalf("utimens: atime %v mtime %v, %v; want %v %v", st.Atime, st.Mtime, err, at, mt)
	}
	if got := f.stat("/f"); got.Atime != at || got.Mtime != mt {
		f.t.Fatalf("lookup after utimens: atime %v mtime %v", got.Atime, got.Mtime)
	}
	// Setting only mtime leaves atime alone.
	mt2 := xlator.Timespec{Sec: 1_700_000_000, Nsec: 1}
	st, err = f.top.Setattr(f.ctx, f.c, f.loc("/f"), &xlator.SetAttr{Valid: xlator.SetMtime, Mtime: mt2})
	if err != nil || st.Atime != at || st.Mtime != mt2 {
		f.t.Fatalf("set mtime only: atime %v mtime %v, %v", st.Atime, st.Mtime, err)
	}
	fd := f.open("/f", syscall.O_RDONLY)
	st, err = f.top.Fsetattr(f.ctx, f.c, fd, &xlator.SetAttr{Valid: xlator.SetAtime, Atime: mt})
	if err != nil || st.Atime != mt || st.Mtime != mt2 {
		f.t.Fatalf("futimens atime: atime %v mtime %v, %v", st.Atime, st.Mtime, err)
	}
	f.mkdir("/d", 0o755)
	st, err = f.top.Setattr(f.ctx, f.c, f.loc("/d"), &xlator.SetAttr{Valid: xlator.SetAtime | xlator.SetMtime, Atime: at, Mtime: mt})
	if err != nil || st.Atime != at || st.Mtime != mt {
		f.t.Fatalf("utimens on a directory: %v %v, %v", st.Atime, st.Mtime, err)
	}
	f.symlink("f", "/l")
	st, err = f.top.Setattr(f.ctx, f.c, f.loc("/l"), &xlator.SetAttr{Valid: xlator.SetMtime, Mtime: at})
	if err != nil || st.Mtime != at {
		f.t.Fatalf("utimens on a symlink: mtime %v, %v", st.Mtime, err)
	}
	if got := f.stat("/f"); got.Mtime != mt2 {
		f.t.Fatalf("utimens on a symlink changed its target's mtime to %v", got.Mtime)
	}
}

func testSetattrTimesNow(f *client) {
	f.writeFile("/f", nil)
	old := xlator.Timespec{Sec: 1_000_000_000}
	if _, err := f.top.Setattr(f.ctx, f.c, f.loc("/f"), &xlator.SetAttr{Valid: xlator.SetAtime | xlator.SetMtime, Atime: old, Mtime: old}); err != nil {
		f.t.Fatalf("utimens: %v", err)
	}
	before := time.Now().Add(-2 * time.Second)
	st, err := f.top.Setattr(f.ctx, f.c, f.loc("/f"), &xlator.SetAttr{Valid: xlator.SetMtime | xlator.SetMtimeNow})
	after := time.Now().Add(2 * time.Second)
	if err != nil {
		f.t.Fatalf("utimens mtime=NOW: %v", err)
	}
	if mt := st.Mtime.Time(); mt.Before(before) || mt.After(after) {
		f.t.Fatalf("mtime=NOW set mtime to %v, want about %v", mt, time.Now())
	}
	if st.Atime != old {
		f.t.Fatalf("mtime=NOW changed atime to %v", st.Atime)
	}
	st, err = f.top.Setattr(f.ctx, f.c, f.loc("/f"), &xlator.SetAttr{Valid: xlator.SetAtimeNow})
	if err != nil {
		f.t.Fatalf("utimens atime=NOW: %v", err)
	}
	if at := st.Atime.Time(); at.Before(before) || at.After(after) {
		f.t.Fatalf("atime=NOW set atime to %v", at)
	}
}

func testAccessOwner(f *client) {
	f.mkdir("/shared", 0o777)
	if _, err := f.top.Setattr(f.ctx, f.c, f.loc("/shared"), &xlator.SetAttr{Valid: xlator.SetMode, Mode: 0o777}); err != nil {
		f.t.Fatalf("chmod /shared: %v", err)
	}
	u := f.as(1000, 1000)
	u.create("/shared/mine", 0o640)
	loc := f.loc("/shared/mine")
	if err := u.top.Access(u.ctx, u.c, loc, 4|2); err != nil {
		f.t.Fatalf("owner access R|W to a 0640 file: %v", err)
	}
	wantErrno(f.t, "owner access X to a 0640 file", u.top.Access(u.ctx, u.c, loc, 1), syscall.EACCES)
	if err := u.top.Access(u.ctx, u.c, loc, 0); err != nil {
		f.t.Fatalf("access F_OK: %v", err)
	}
	if err := f.top.Access(f.ctx, f.c, f.loc("/"), 4|2|1); err != nil {
		f.t.Fatalf("root access R|W|X to /: %v", err)
	}
	wantErrno(f.t, "access F_OK of a missing name", f.top.Access(f.ctx, f.c, f.loc("/").Child("absent"), 0), syscall.ENOENT)
}
