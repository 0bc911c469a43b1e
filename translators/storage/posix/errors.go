package posix

import (
	"syscall"

	"github.com/loom-fs/loom/xlator"
)

// fail returns err for op on path: the errnos that are an ordinary answer
// on hot paths (a missing entry or xattr, an existing name) go back bare,
// without allocating; anything else is wrapped with the operation and path.
func fail(op, path string, err error) error {
	switch err {
	case nil:
		return nil
	case syscall.ENOENT, syscall.ENODATA, syscall.EEXIST, syscall.EAGAIN:
		return err
	}
	return xlator.Wrap(op, path, err)
}

// locPath names loc for messages (its path, or its GFID when nameless).
func locPath(loc *xlator.Loc) string {
	switch {
	case loc.Path != "":
		return loc.Path
	case loc.Name != "":
		return "<gfid:" + loc.Parent.String() + ">/" + loc.Name
	}
	return "<gfid:" + loc.GFID.String() + ">"
}

// failAttr is fail for an xattr fop: the message names the attribute too,
// built only when there is an error to wrap (not for ENODATA, the usual
// answer to a probe such as the kernel's security.capability check).
func failAttr(op, name, path string, err error) error {
	switch err {
	case nil:
		return nil
	case syscall.ENOENT, syscall.ENODATA, syscall.EEXIST, syscall.EAGAIN:
		return err
	}
	return fail(op+" "+name, path, err)
}
