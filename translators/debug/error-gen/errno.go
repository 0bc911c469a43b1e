package errorgen

import (
	"sort"
	"syscall"
)

// errnos are the errors error-gen can inject, by the names the error-no
// option takes.
var errnos = map[string]syscall.Errno{
	"E2BIG":        syscall.E2BIG,
	"EACCES":       syscall.EACCES,
	"EAGAIN":       syscall.EAGAIN,
	"EBADF":        syscall.EBADF,
	"EBUSY":        syscall.EBUSY,
	"EDQUOT":       syscall.EDQUOT,
	"EEXIST":       syscall.EEXIST,
	"EFBIG":        syscall.EFBIG,
	"EINTR":        syscall.EINTR,
	"EINVAL":       syscall.EINVAL,
	"EIO":          syscall.EIO,
	"EISDIR":       syscall.EISDIR,
	"ELOOP":        syscall.ELOOP,
	"EMFILE":       syscall.EMFILE,
	"ENAMETOOLONG": syscall.ENAMETOOLONG,
	"ENODATA":      syscall.ENODATA,
	"ENOENT":       syscall.ENOENT,
	"ENOMEM":       syscall.ENOMEM,
	"ENOSPC":       syscall.ENOSPC,
	"ENOTCONN":     syscall.ENOTCONN,
	"ENOTDIR":      syscall.ENOTDIR,
	"ENOTEMPTY":    syscall.ENOTEMPTY,
	"ENOTSUP":      syscall.ENOTSUP,
	"EPERM":        syscall.EPERM,
	"EROFS":        syscall.EROFS,
	"ESTALE":       syscall.ESTALE,
	"ETIMEDOUT":    syscall.ETIMEDOUT,
	"EXDEV":        syscall.EXDEV,
}

// errnoNames returns the names error-no accepts, sorted.
func errnoNames() []string {
	names := make([]string, 0, len(errnos))
	for n := range errnos {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// ErrnoName returns the symbolic name of e (such as "ENOTCONN") if
// error-gen knows it, or e's text otherwise.
func ErrnoName(e syscall.Errno) string {
	for n, v := range errnos {
		if v == e {
			return n
		}
	}
	return e.Error()
}
