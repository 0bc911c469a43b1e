package trace

import (
	"fmt"
	"log/slog"
	"sort"

	"github.com/loom-fs/loom/xlator"
)

// locAttrs describes a Loc: its path and, when known, its GFID.
func locAttrs(key string, loc *xlator.Loc) slog.Attr {
	if loc == nil {
		return slog.String(key, "<nil>")
	}
	if loc.GFID.IsZero() {
		return slog.Group(key, slog.String("path", loc.Path))
	}
	return slog.Group(key, slog.String("path", loc.Path), slog.String("gfid", loc.GFID.String()))
}

// fdAttrs describes an FD: the path it was opened at, its GFID and flags.
func fdAttrs(key string, fd *xlator.FD) slog.Attr {
	if fd == nil {
		return slog.String(key, "<nil>")
	}
	return slog.Group(key, slog.String("path", fd.Loc.Path), slog.String("gfid", fd.Loc.GFID.String()),
		slog.String("flags", fmt.Sprintf("%#o", fd.Flags)))
}

// statAttrs describes the attributes a fop returned (nothing on failure).
func statAttrs(st xlator.Stat, err error) slog.Attr {
	if err != nil {
		return slog.Attr{}
	}
	return slog.Group("stat", slog.String("gfid", st.GFID.String()), slog.String("mode", fmt.Sprintf("%#o", st.Mode)),
		slog.Uint64("size", st.Size), slog.Any("nlink", st.Nlink))
}

func octal(key string, v uint32) slog.Attr { return slog.String(key, fmt.Sprintf("%#o", v)) }

// setAttrAttrs describes the changes a setattr asks for.
func setAttrAttrs(a *xlator.SetAttr) slog.Attr {
	if a == nil {
		return slog.String("set", "<nil>")
	}
	var attrs []any
	if a.Valid&xlator.SetMode != 0 {
		attrs = append(attrs, octal("mode", a.Mode))
	}
	if a.Valid&xlator.SetUID != 0 {
		attrs = append(attrs, slog.Any("uid", a.UID))
	}
	if a.Valid&xlator.SetGID != 0 {
		attrs = append(attrs, slog.Any("gid", a.GID))
	}
	if a.Valid&xlator.SetAtimeNow != 0 {
		attrs = append(attrs, slog.String("atime", "now"))
	} else if a.Valid&xlator.SetAtime != 0 {
		attrs = append(attrs, slog.Time("atime", a.Atime.Time()))
	}
	if a.Valid&xlator.SetMtimeNow != 0 {
		attrs = append(attrs, slog.String("mtime", "now"))
	} else if a.Valid&xlator.SetMtime != 0 {
		attrs = append(attrs, slog.Time("mtime", a.Mtime.Time()))
	}
	return slog.Group("set", attrs...)
}

// keys lists the names in an XData, sorted (never the values).
func keys(x xlator.XData) []string {
	out := make([]string, 0, len(x))
	for k := range x {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func flockAttrs(lk xlator.Flock) slog.Attr {
	return slog.Group("lock", slog.Any("type", lockType(lk.Type)), slog.Int64("start", lk.Start), slog.Int64("len", lk.Len),
		slog.Any("pid", lk.PID), slog.String("owner", fmt.Sprintf("%#x", lk.Owner)))
}

func lockType(t xlator.LockType) string {
	switch t {
	case xlator.ReadLock:
		return "read"
	case xlator.WriteLock:
		return "write"
	case xlator.Unlock:
		return "unlock"
	}
	return fmt.Sprintf("type(%d)", t)
}

func lkCmd(cmd xlator.LkCmd) string {
	switch cmd {
	case xlator.LkGet:
		return "get"
	case xlator.LkSet:
		return "set"
	case xlator.LkSetWait:
		return "setwait"
	}
	return fmt.Sprintf("cmd(%d)", cmd)
}

func entrylkCmd(cmd xlator.EntrylkCmd) string {
	switch cmd {
	case xlator.EntryLock:
		return "lock"
	case xlator.EntryLockNB:
		return "trylock"
	case xlator.EntryUnlock:
		return "unlock"
	}
	return fmt.Sprintf("cmd(%d)", cmd)
}

func entrylkType(t xlator.EntrylkType) string {
	if t == xlator.EntryWrite {
		return "write"
	}
	return "read"
}

func xattropName(op xlator.XattropOp) string {
	switch op {
	case xlator.AddArray32:
		return "add_array32"
	case xlator.AddArray64:
		return "add_array64"
	}
	return fmt.Sprintf("op(%d)", op)
}
