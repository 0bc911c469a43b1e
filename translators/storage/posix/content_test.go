package posix

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/loom-fs/loom/xlator"
	"golang.org/x/sys/unix"
)

// A lookup asked for a file's contents (xlator.XDataContent) answers
// them for a regular file within the limit, by name and by GFID, without
// moving its access time; a bigger file, a directory and a malformed
// request get no contents, and a lookup that does not ask gets none.
func TestLookupContent(t *testing.T) {
	p, dir := newBrick(t)
	small := bytes.Repeat([]byte("0123456789"), 100)
	ok(t, os.WriteFile(filepath.Join(dir, "small"), small, 0o644))
	ok(t, os.WriteFile(filepath.Join(dir, "empty"), nil, 0o644))
	ok(t, os.WriteFile(filepath.Join(dir, "big"), make([]byte, 2000), 0o644))
	ok(t, os.Mkdir(filepath.Join(dir, "d"), 0o755))
	past := time.Now().Add(-time.Hour)
	ok(t, os.Chtimes(filepath.Join(dir, "small"), past, time.Now()))
	var before unix.Stat_t
	ok(t, unix.Stat(filepath.Join(dir, "small"), &before))

	ask := xlator.XData{xlator.XDataContent: xlator.ContentRequest(1000)}
	st, x, err := p.Lookup(bg, root, loc("/small"), ask)
	ok(t, err)
	if got, found := x[xlator.XDataContent]; !found || !bytes.Equal(got, small) {
		t.Fatalf("contents of /small: %d bytes (present %v), want its %d", len(got), found, len(small))
	}
	_, x, err = p.Lookup(bg, root, &xlator.Loc{GFID: st.GFID}, ask)
	ok(t, err)
	if got := x[xlator.XDataContent]; !bytes.Equal(got, small) {
		t.Fatalf("contents of /small by GFID: %d bytes", len(got))
	}
	var after unix.Stat_t
	ok(t, unix.Stat(filepath.Join(dir, "small"), &after))
	if after.Atim != before.Atim {
		t.Errorf("reading the contents moved the access time: %v, was %v", after.Atim, before.Atim)
	}
	_, x, err = p.Lookup(bg, root, loc("/empty"), ask)
	ok(t, err)
	if got, found := x[xlator.XDataContent]; !found || len(got) != 0 {
		t.Errorf("an empty file answered %q (present %v), want empty contents", got, found)
	}
	for _, c := range []struct {
		path string
		req  xlator.XData
	}{
		{"/big", ask},
		{"/d", ask},
		{"/small", xlator.XData{xlator.XDataContent: []byte("lots")}},
		{"/small", xlator.XData{"loom.dirty": nil}},
	} {
		_, x, err := p.Lookup(bg, root, loc(c.path), c.req)
		ok(t, err)
		if v, found := x[xlator.XDataContent]; found {
			t.Errorf("%s with %v: %d bytes of contents, want none", c.path, c.req, len(v))
		}
	}
}
