package server

import (
	"context"

	"github.com/loom-fs/loom/xlator"
)

// readdirCalls bounds how many readdirs of the subvolume one readdir
// request makes.
const readdirCalls = 4

// readdirFill answers a readdir request of size bytes at off: it reads
// the subvolume until about size bytes of entries are gathered or it
// returns none (the end of the directory: eof). A client that asked for
// a large batch (protocol/client's readdir-ahead) so learns, with the
// last batch, that nothing follows, and the kernel's final readdir of
// the listing needs no round trip. An error after the first batch only
// ends the gathering: the next request meets it again.
func readdirFill(ctx context.Context, sv xlator.Translator, c *xlator.Call, fd *xlator.FD, off uint64, size int, plus bool) (entries []xlator.DirEntry, eof bool, err error) {
	used := 0
	for range readdirCalls {
		batch, err := sv.Readdir(ctx, c, fd, off, size-used, plus)
		if err != nil {
			if len(entries) > 0 {
				return entries, false, nil
			}
			return nil, false, err
		}
		if len(batch) == 0 {
			return entries, true, nil
		}
		entries = append(entries, batch...)
		for i := range batch {
			used += direntSize(&batch[i], plus)
		}
		off = batch[len(batch)-1].Off
		if used >= size {
			break
		}
	}
	return entries, false, nil
}

// direntSize is about what an entry takes in the kernel's reply: the
// FUSE dirent (24 bytes and the name, 8-byte aligned), and with
// attributes the entry and attribute reply before it (128 bytes).
func direntSize(e *xlator.DirEntry, plus bool) int {
	n := (24 + len(e.Name) + 7) &^ 7
	if plus {
		n += 128
	}
	return n
}
