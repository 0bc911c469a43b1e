package posix

import (
	"strconv"
	"sync/atomic"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// This file holds the system calls x/sys does not wrap: the *xattrat
// family (Linux 6.13), with a fallback through /proc/self/fd for older
// kernels, and fchmodat2 (Linux 6.6).

// xattrArgs is the kernel's struct xattr_args. value is a pointer so that
// the garbage collector and stack copying keep track of it.
type xattrArgs struct {
	value unsafe.Pointer
	size  uint32
	flags uint32
}

// noXattrat is set once the kernel has answered ENOSYS to *xattrat.
var noXattrat atomic.Bool

// procPath names dirfd/name through /proc/self/fd (the fallback).
func procPath(dirfd int, name string) string {
	b := make([]byte, 0, 32+len(name))
	b = append(b, "/proc/self/fd/"...)
	b = strconv.AppendInt(b, int64(dirfd), 10)
	b = append(b, '/')
	b = append(b, name...)
	return string(b)
}

// procFdPath names the object fd refers to through /proc/self/fd.
func procFdPath(fd int) string {
	return "/proc/self/fd/" + strconv.Itoa(fd)
}

func bufPtr(b []byte) unsafe.Pointer {
	if len(b) == 0 {
		return nil
	}
	return unsafe.Pointer(&b[0])
}

// cString holds a NUL-terminated copy of a name on the caller's stack: the
// *xattrat calls of every lookup and xattrop need two, and
// unix.BytePtrFromString allocates each (a fifth of the heal's
// allocations). Names that do not fit (none the brick uses: a file name
// has at most 255 bytes, an xattr name too) are allocated as before.
type cString [256]byte

// ptr returns a pointer to s, NUL-terminated, in b (or allocated).
func (b *cString) ptr(s string) (*byte, error) {
	if len(s) >= len(b) {
		return unix.BytePtrFromString(s)
	}
	for i := 0; i < len(s); i++ {
		if s[i] == 0 {
			return nil, syscall.EINVAL
		}
	}
	copy(b[:], s)
	b[len(s)] = 0
	return &b[0], nil
}

// getxattrAt reads attr of name in dirfd without following a final
// symlink. It returns the value's size; with an empty buf, the size needed.
func getxattrAt(dirfd int, name, attr string, buf []byte) (int, error) {
	if !noXattrat.Load() {
		var nb, ab cString
		p, err := nb.ptr(name)
		if err != nil {
			return 0, err
		}
		a, err := ab.ptr(attr)
		if err != nil {
			return 0, err
		}
		args := xattrArgs{value: bufPtr(buf), size: uint32(len(buf))}
		r, _, e := unix.Syscall6(unix.SYS_GETXATTRAT, uintptr(dirfd), uintptr(unsafe.Pointer(p)),
			unix.AT_SYMLINK_NOFOLLOW, uintptr(unsafe.Pointer(a)), uintptr(unsafe.Pointer(&args)), unsafe.Sizeof(args))
		if e == 0 {
			return int(r), nil
		}
		if e != syscall.ENOSYS {
			return 0, e
		}
		noXattrat.Store(true)
	}
	return unix.Lgetxattr(procPath(dirfd, name), attr, buf)
}

// setxattrAt writes attr of name in dirfd without following a final symlink.
func setxattrAt(dirfd int, name, attr string, value []byte, flags int) error {
	if !noXattrat.Load() {
		var nb, ab cString
		p, err := nb.ptr(name)
		if err != nil {
			return err
		}
		a, err := ab.ptr(attr)
		if err != nil {
			return err
		}
		args := xattrArgs{value: bufPtr(value), size: uint32(len(value)), flags: uint32(flags)}
		_, _, e := unix.Syscall6(unix.SYS_SETXATTRAT, uintptr(dirfd), uintptr(unsafe.Pointer(p)),
			unix.AT_SYMLINK_NOFOLLOW, uintptr(unsafe.Pointer(a)), uintptr(unsafe.Pointer(&args)), unsafe.Sizeof(args))
		if e == 0 {
			return nil
		}
		if e != syscall.ENOSYS {
			return e
		}
		noXattrat.Store(true)
	}
	return unix.Lsetxattr(procPath(dirfd, name), attr, value, flags)
}

// listxattrAt lists the attribute names of name in dirfd (NUL-separated).
func listxattrAt(dirfd int, name string, buf []byte) (int, error) {
	if !noXattrat.Load() {
		var nb cString
		p, err := nb.ptr(name)
		if err != nil {
			return 0, err
		}
		r, _, e := unix.Syscall6(unix.SYS_LISTXATTRAT, uintptr(dirfd), uintptr(unsafe.Pointer(p)),
			unix.AT_SYMLINK_NOFOLLOW, uintptr(bufPtr(buf)), uintptr(len(buf)), 0)
		if e == 0 {
			return int(r), nil
		}
		if e != syscall.ENOSYS {
			return 0, e
		}
		noXattrat.Store(true)
	}
	return unix.Llistxattr(procPath(dirfd, name), buf)
}

// removexattrAt removes attr of name in dirfd.
func removexattrAt(dirfd int, name, attr string) error {
	if !noXattrat.Load() {
		var nb, ab cString
		p, err := nb.ptr(name)
		if err != nil {
			return err
		}
		a, err := ab.ptr(attr)
		if err != nil {
			return err
		}
		_, _, e := unix.Syscall6(unix.SYS_REMOVEXATTRAT, uintptr(dirfd), uintptr(unsafe.Pointer(p)),
			unix.AT_SYMLINK_NOFOLLOW, uintptr(unsafe.Pointer(a)), 0, 0)
		if e == 0 {
			return nil
		}
		if e != syscall.ENOSYS {
			return e
		}
		noXattrat.Store(true)
	}
	return unix.Lremovexattr(procPath(dirfd, name), attr)
}

// fchmodatNoFollow changes the mode of name in dirfd without following a
// final symlink (fchmodat2 with AT_SYMLINK_NOFOLLOW; symlinks answer
// EOPNOTSUPP). On kernels without fchmodat2 it opens the entry with O_PATH
// and changes the mode through /proc/self/fd.
func fchmodatNoFollow(dirfd int, name string, mode uint32) error {
	p, err := unix.BytePtrFromString(name)
	if err != nil {
		return err
	}
	_, _, e := unix.Syscall6(unix.SYS_FCHMODAT2, uintptr(dirfd), uintptr(unsafe.Pointer(p)), uintptr(mode),
		unix.AT_SYMLINK_NOFOLLOW, 0, 0)
	if e == 0 {
		return nil
	}
	if e != syscall.ENOSYS {
		return e
	}
	fd, err := unix.Openat(dirfd, name, unix.O_PATH|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return err
	}
	if st.Mode&unix.S_IFMT == unix.S_IFLNK {
		return syscall.EOPNOTSUPP
	}
	return unix.Chmod(procFdPath(fd), mode)
}

// The wrappers below are x/sys's calls of the same names with the path
// and attribute names copied into a cString on the caller's stack:
// x/sys allocates a NUL-terminated copy of each on every call, and a
// heal or lookup makes several of these calls per file.

// fstatat is unix.Fstatat without the allocation of name.
func fstatat(dirfd int, name string, st *unix.Stat_t, flags int) error {
	var nb cString
	p, err := nb.ptr(name)
	if err != nil {
		return err
	}
	_, _, e := unix.Syscall6(unix.SYS_NEWFSTATAT, uintptr(dirfd), uintptr(unsafe.Pointer(p)),
		uintptr(unsafe.Pointer(st)), uintptr(flags), 0, 0)
	if e != 0 {
		return e
	}
	return nil
}

// openat is unix.Openat without the allocation of name.
func openat(dirfd int, name string, flags int, mode uint32) (int, error) {
	var nb cString
	p, err := nb.ptr(name)
	if err != nil {
		return -1, err
	}
	r, _, e := unix.Syscall6(unix.SYS_OPENAT, uintptr(dirfd), uintptr(unsafe.Pointer(p)),
		uintptr(flags), uintptr(mode), 0, 0)
	if e != 0 {
		return -1, e
	}
	return int(r), nil
}

// linkat is unix.Linkat without the allocation of the names.
func linkat(olddirfd int, oldname string, newdirfd int, newname string, flags int) error {
	var ob, nb cString
	o, err := ob.ptr(oldname)
	if err != nil {
		return err
	}
	n, err := nb.ptr(newname)
	if err != nil {
		return err
	}
	_, _, e := unix.Syscall6(unix.SYS_LINKAT, uintptr(olddirfd), uintptr(unsafe.Pointer(o)),
		uintptr(newdirfd), uintptr(unsafe.Pointer(n)), uintptr(flags), 0)
	if e != 0 {
		return e
	}
	return nil
}

// readlinkat is unix.Readlinkat without the allocation of name.
func readlinkat(dirfd int, name string, buf []byte) (int, error) {
	return nameBufSyscall(unix.SYS_READLINKAT, dirfd, name, buf)
}

// fgetxattr is unix.Fgetxattr without the allocation of attr.
func fgetxattr(fd int, attr string, buf []byte) (int, error) {
	return nameBufSyscall(unix.SYS_FGETXATTR, fd, attr, buf)
}

// nameBufSyscall makes the system call trap(fd, name, buf, len(buf))
// with name copied onto the stack, and returns its count.
func nameBufSyscall(trap uintptr, fd int, name string, buf []byte) (int, error) {
	var nb cString
	p, err := nb.ptr(name)
	if err != nil {
		return 0, err
	}
	r, _, e := unix.Syscall6(trap, uintptr(fd), uintptr(unsafe.Pointer(p)),
		uintptr(bufPtr(buf)), uintptr(len(buf)), 0, 0)
	if e != 0 {
		return 0, e
	}
	return int(r), nil
}

// fsetxattr is unix.Fsetxattr without the allocation of attr.
func fsetxattr(fd int, attr string, value []byte, flags int) error {
	var ab cString
	a, err := ab.ptr(attr)
	if err != nil {
		return err
	}
	_, _, e := unix.Syscall6(unix.SYS_FSETXATTR, uintptr(fd), uintptr(unsafe.Pointer(a)),
		uintptr(bufPtr(value)), uintptr(len(value)), uintptr(flags), 0)
	if e != 0 {
		return e
	}
	return nil
}

// fremovexattr is unix.Fremovexattr without the allocation of attr.
func fremovexattr(fd int, attr string) error {
	var ab cString
	a, err := ab.ptr(attr)
	if err != nil {
		return err
	}
	_, _, e := unix.Syscall(unix.SYS_FREMOVEXATTR, uintptr(fd), uintptr(unsafe.Pointer(a)), 0)
	if e != 0 {
		return e
	}
	return nil
}
