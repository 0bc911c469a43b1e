package treecheck

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"sync"

	"golang.org/x/sys/unix"
)

// blockSize is the unit of the content digest: each block that is not
// all zeros is hashed with its index, so a hole and a run of written
// zeros digest alike (Data tells them apart).
const blockSize = 64 << 10

var blockPool = sync.Pool{New: func() any { b := make([]byte, blockSize); return &b }}

// digest fills e.Sum and e.Data from the file at path, reading only its
// data regions (SEEK_DATA/SEEK_HOLE), without changing its atime.
func digest(path string, e *Entry) error {
	fd, err := openNoatime(path)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	data, err := dataMap(fd, e.Size)
	if err != nil {
		return fmt.Errorf("treecheck: data map of %s: %w", path, err)
	}
	e.Data = data
	bp := blockPool.Get().(*[]byte)
	defer blockPool.Put(bp)
	buf := *bp
	h := sha256.New()
	var idx [8]byte
	next := int64(0) // first block not yet hashed
	for _, x := range data {
		for b := max(x.Off/blockSize, next); b*blockSize < x.Off+x.Len; b++ {
			off := b * blockSize
			n := min(int64(blockSize), e.Size-off)
			if n <= 0 {
				break
			}
			got, err := preadFull(fd, buf[:n], off)
			if err != nil {
				return fmt.Errorf("treecheck: read %s at %d: %w", path, off, err)
			}
			next = b + 1
			if allZero(buf[:got]) {
				continue
			}
			binary.LittleEndian.PutUint64(idx[:], uint64(b))
			h.Write(idx[:])
			h.Write(buf[:got])
		}
	}
	binary.LittleEndian.PutUint64(idx[:], uint64(e.Size))
	h.Write(idx[:])
	h.Sum(e.Sum[:0])
	return nil
}

// openNoatime opens a regular file for reading without following a
// symlink and without changing its atime.
func openNoatime(path string) (int, error) {
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_NOATIME|unix.O_CLOEXEC|unix.O_NONBLOCK, 0)
	if errors.Is(err, unix.EPERM) {
		fd, err = unix.Open(path, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_CLOEXEC|unix.O_NONBLOCK, 0)
	}
	if err != nil {
		return -1, fmt.Errorf("treecheck: open %s: %w", path, err)
	}
	return fd, nil
}

// dataMap lists the data regions of the open file fd of size bytes.
func dataMap(fd int, size int64) ([]Extent, error) {
	var out []Extent
	for off := int64(0); off < size; {
		d, err := unix.Seek(fd, off, unix.SEEK_DATA)
		if errors.Is(err, unix.ENXIO) {
			break
		}
		if errors.Is(err, unix.EINVAL) {
			// No SEEK_DATA here: all data.
			return []Extent{{0, size}}, nil
		}
		if err != nil {
			return nil, err
		}
		hole, err := unix.Seek(fd, d, unix.SEEK_HOLE)
		if err != nil {
			return nil, err
		}
		out = append(out, Extent{Off: d, Len: hole - d})
		off = hole
	}
	return out, nil
}

func preadFull(fd int, b []byte, off int64) (int, error) {
	n := 0
	for n < len(b) {
		m, err := unix.Pread(fd, b[n:], off+int64(n))
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return n, err
		}
		if m == 0 {
			return n, io.ErrUnexpectedEOF
		}
		n += m
	}
	return n, nil
}

func allZero(b []byte) bool {
	for len(b) >= 8 {
		if binary.NativeEndian.Uint64(b) != 0 {
			return false
		}
		b = b[8:]
	}
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}
