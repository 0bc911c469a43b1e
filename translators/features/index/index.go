// Package index is the features/index translator: a brick-side index of
// the inodes whose replication changelog is not zero (GlusterFS's
// features/index). It watches every Xattrop and Fxattrop that passes
// through it: when one of the watched xattrs (cluster/replicate's
// loom.pending.* and loom.dirty) may become non-zero, the inode's GFID is
// recorded on disk first; when an Xattrop leaves every watched value it
// returned at zero, the record is removed. The records survive restarts,
// so a restarted mount or brick finds every pending heal without a crawl.
//
// Translators above read the index through a virtual directory with the
// fixed GFID IndexGFID: Lookup of it answers the number of records (XData
// CountKey), Opendir/Readdir list the records (one entry per GFID, its
// canonical form as the name) with ordinary readdir cookies, and Unlink of
// a name in it drops a stale record of an inode the brick no longer has.
// See README.md.
package index

import (
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"

	"github.com/loom-fs/loom/xlator"
	"golang.org/x/sys/unix"
)

// Type is the registered translator type.
const Type = "features/index"

// IndexGFID is the GFID of the virtual directory that lists the records.
// Its version nibble is 0, so no GFID made by xlator.NewGFID equals it.
var IndexGFID = xlator.GFID{0: 0x6c, 1: 0x6f, 2: 0x6f, 3: 0x6d, 15: 0x69}

// CountKey is the Lookup reply key (on IndexGFID) that holds the number of
// records as a decimal string.
const CountKey = "loom.index.count"

// Watched prefixes: a key is watched when it starts with pendingPrefix or
// equals dirtyKey (cluster/replicate's changelog).
const (
	pendingPrefix = "loom.pending."
	dirtyKey      = "loom.dirty"
)

func init() {
	xlator.Register(xlator.Descriptor{
		Type:        Type,
		Doc:         "brick-side index of inodes with a non-zero replication changelog, read by cluster/replicate's healer",
		New:         New,
		Options:     Options,
		MinChildren: 1,
		MaxChildren: 1,
	})
}

// Options is the option schema of features/index.
var Options = []xlator.OptionDef{
	{Key: "index-base", Type: xlator.TypePath,
		Help: "the directory that holds the records; empty means <brick>/.loom/index of the storage/posix below"},
}

// brickDirer is what storage/posix offers: its directory.
type brickDirer interface {
	Directory() string
}

// Index records the GFIDs of inodes with a non-zero changelog.
type Index struct {
	xlator.Base

	dir   string // the index directory
	dirFd int    // O_PATH descriptor of dir, for linkat/unlinkat

	baseMu   sync.Mutex
	baseName string // the file every record is a hard link to
	baseSeq  int

	count atomic.Int64 // records on disk
	locks [256]sync.Mutex
}

// New builds the translator: it finds the index directory (index-base, or
// under the brick of the storage/posix below), creates it if needed,
// removes base files no record links to any more and counts the records.
func New(cfg *xlator.Config) (xlator.Translator, error) {
	x := &Index{Base: xlator.NewBase(cfg), dirFd: -1}
	x.dir = cfg.Options.String("index-base")
	if x.dir == "" {
		brick := findBrick(cfg.Children[0])
		if brick == "" {
			return nil, fmt.Errorf("option index-base: required when no storage/posix is below %s", cfg.Name)
		}
		x.dir = filepath.Join(brick, ".loom", "index")
	}
	if err := os.MkdirAll(x.dir, 0o700); err != nil {
		return nil, fmt.Errorf("index directory: %w", err)
	}
	fd, err := unix.Open(x.dir, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("open index directory %s: %w", x.dir, err)
	}
	x.dirFd = fd
	n, err := x.scan()
	if err != nil {
		unix.Close(fd)
		return nil, err
	}
	x.count.Store(n)
	if err := x.newBase(); err != nil {
		unix.Close(fd)
		return nil, err
	}
	return x, nil
}

// findBrick walks down first children to a translator that knows its brick
// directory.
func findBrick(t xlator.Translator) string {
	for t != nil {
		if b, ok := t.(brickDirer); ok {
			return b.Directory()
		}
		kids := t.Children()
		if len(kids) == 0 {
			return ""
		}
		t = kids[0]
	}
	return ""
}

// Fini closes the index directory.
func (x *Index) Fini() error {
	if x.dirFd >= 0 {
		unix.Close(x.dirFd)
		x.dirFd = -1
	}
	return nil
}

// Count returns the number of records.
func (x *Index) Count() int64 { return x.count.Load() }

// Dir returns the index directory.
func (x *Index) Dir() string { return x.dir }

// lockOf returns g's stripe lock: an xattrop and its record change happen
// under it, so two xattrops of one inode never leave a wrong record.
func (x *Index) lockOf(g xlator.GFID) *sync.Mutex {
	return &x.locks[g[15]^g[7]]
}
