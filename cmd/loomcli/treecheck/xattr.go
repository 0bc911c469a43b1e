package treecheck

import (
	"bytes"
	"errors"
	"fmt"
	"sort"

	"golang.org/x/sys/unix"
)

// readXattrs returns every xattr of path (not followed), ACLs included.
func readXattrs(path string) (map[string]string, error) {
	names, err := listXattrs(path)
	if err != nil || len(names) == 0 {
		return nil, err
	}
	out := make(map[string]string, len(names))
	buf := make([]byte, 4096)
	for _, n := range names {
		for {
			sz, err := unix.Lgetxattr(path, n, buf)
			if errors.Is(err, unix.ERANGE) {
				sz, err = unix.Lgetxattr(path, n, nil)
				if err != nil {
					return nil, fmt.Errorf("treecheck: getxattr %s %s: %w", path, n, err)
				}
				buf = make([]byte, sz+1)
				continue
			}
			if errors.Is(err, unix.ENODATA) {
				break // removed meanwhile
			}
			if err != nil {
				return nil, fmt.Errorf("treecheck: getxattr %s %s: %w", path, n, err)
			}
			out[n] = string(buf[:sz])
			break
		}
	}
	return out, nil
}

// listXattrs returns the xattr names of path (not followed), sorted.
func listXattrs(path string) ([]string, error) {
	buf := make([]byte, 1024)
	for {
		sz, err := unix.Llistxattr(path, buf)
		if errors.Is(err, unix.ERANGE) {
			sz, err = unix.Llistxattr(path, nil)
			if err != nil {
				return nil, fmt.Errorf("treecheck: listxattr %s: %w", path, err)
			}
			buf = make([]byte, sz+64)
			continue
		}
		if errors.Is(err, unix.ENOTSUP) {
			return nil, nil
		}
		if err != nil {
			return nil, fmt.Errorf("treecheck: listxattr %s: %w", path, err)
		}
		var names []string
		for _, n := range bytes.Split(buf[:sz], []byte{0}) {
			if len(n) > 0 {
				names = append(names, string(n))
			}
		}
		sort.Strings(names)
		return names, nil
	}
}

// ListXattrs returns the xattr names of path (not followed), sorted:
// the listing strip and the tests use.
func ListXattrs(path string) ([]string, error) { return listXattrs(path) }

func sortStrings(s []string) { sort.Strings(s) }
