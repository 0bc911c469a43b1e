package xlator

import (
	"errors"
	"fmt"
	"log/slog"
	"syscall"
)

// Errno converts err to the errno that crosses FUSE and the wire: nil is
// 0, an error that is or wraps a syscall.Errno gives that errno (ENOATTR is
// ENODATA on Linux), and anything else is logged and becomes EIO. ENOSYS
// from a translator is turned into ENOTSUP unless it is a genuine "never
// supported" answer, which translators signal by returning it unwrapped.
func Errno(err error) syscall.Errno {
	if err == nil {
		return 0
	}
	var e syscall.Errno
	if errors.As(err, &e) {
		if e == syscall.ENOSYS && err != error(e) {
			return syscall.ENOTSUP
		}
		return e
	}
	slog.Warn("error without errno, answering EIO", "err", err)
	return syscall.EIO
}

// OpError records a failed fop with the path it was done on; it wraps the
// errno so that Errno finds it.
type OpError struct {
	Op   string
	Path string
	Err  error
}

// Error formats "op path: err".
func (e *OpError) Error() string { return fmt.Sprintf("%s %s: %v", e.Op, e.Path, e.Err) }

// Unwrap returns the underlying error.
func (e *OpError) Unwrap() error { return e.Err }

// Wrap returns err annotated with op and path, or nil if err is nil.
func Wrap(op, path string, err error) error {
	if err == nil {
		return nil
	}
	return &OpError{Op: op, Path: path, Err: err}
}
