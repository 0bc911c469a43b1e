package posix

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync/atomic"
	"syscall"

	"github.com/loom-fs/loom/xlator"
	"golang.org/x/sys/unix"
)

// TypeName is the registered translator type.
const TypeName = "storage/posix"

// Option keys.
const (
	optDirectory = "directory"
	optNamespace = "xattr-namespace"
)

// Options is the option schema of storage/posix.
var Options = []xlator.OptionDef{
	{Key: optDirectory, Type: xlator.TypePath, Required: true,
		Help: "the brick: an existing local directory that holds the volume's files"},
	{Key: optNamespace, Type: xlator.TypeEnum, Default: "auto", Allowed: []string{"auto", "trusted", "user"},
		Help: "xattr namespace for Loom's metadata (GFIDs, changelogs): auto means trusted when running as root, user otherwise"},
}

// Posix offers its open files to the kernel for FUSE passthrough.
var _ xlator.BackingFiler = (*Posix)(nil)

func init() {
	xlator.Register(xlator.Descriptor{
		Type:        TypeName,
		Doc:         "a brick: stores the volume in a local directory",
		New:         New,
		Options:     Options,
		MinChildren: 0,
		MaxChildren: 0,
	})
}

// Posix is a brick: a translator that stores files in a local directory.
type Posix struct {
	xlator.Leaf

	dir     string // the brick directory, for messages
	rootFd  int    // O_PATH descriptor of the brick root
	markFd  int    // the open marker .loom/open, flocked shared (see markOpen)
	metaFd  int    // O_PATH descriptor of <brick>/.loom/handles
	ns      string // "trusted" or "user"
	gfidKey string // ns + ".loom.gfid"
	isRoot  bool   // running with uid 0: created entries are chowned
	// freshRoot: the root had no GFID when the brick was opened (an
	// empty, new brick, or a tree adopted as it is); root lookups say
	// so with XDataGFIDAssigned for as long as this process runs.
	freshRoot bool

	locks stripedLocks // per-GFID serialisation (xattrop, link counts)
	names nameLocks    // a new name's GFID is set before lookups assign one
	opens openTable    // GFIDs with open FDs (unlinked-but-open files)
	dirs  dirCache     // O_PATH descriptors of directories by GFID

	buckets bucketSet // handle-index buckets known to exist
	gfids   gfidRun   // GFIDs the brick gives entries itself
	janitor janitor   // removes handles of unlinked files in the background

	// aclGen counts changes of any directory's default ACL made through
	// this brick; a directory's remembered answer (aclMemo) holds only
	// for the generation it was read in.
	aclGen  atomic.Uint64
	rootACL aclMemo // the root's default-ACL memo (it is not in dirs)
}

// New builds a brick from cfg: it checks that the directory exists and is
// a directory, opens it, gives its root the root GFID and prepares the
// handle index.
func New(cfg *xlator.Config) (xlator.Translator, error) {
	dir := cfg.Options.String(optDirectory)
	p := &Posix{Leaf: xlator.NewLeaf(cfg), dir: dir, rootFd: -1, metaFd: -1, markFd: -1}
	p.isRoot = os.Geteuid() == 0
	switch ns := cfg.Options.String(optNamespace); ns {
	case "auto":
		p.ns = "user"
		if p.isRoot {
			p.ns = "trusted"
		}
	default:
		p.ns = ns
	}
	p.gfidKey = p.ns + ".loom.gfid"
	p.dirs.init()
	if err := p.openBrick(); err != nil {
		p.closeFds()
		return nil, err
	}
	p.opens.init()
	unclean, err := p.markOpen()
	if err != nil {
		p.closeFds()
		return nil, fmt.Errorf("brick %s: %s/%s: %w", dir, metaDir, dirtyMarker, err)
	}
	if unclean {
		p.Log().Info("brick was not closed cleanly: checking the handle index for orphans")
	}
	p.startJanitor(unclean)
	return p, nil
}

// openBrick opens the root, checks or sets its GFID and opens the index.
func (p *Posix) openBrick() error {
	fd, err := unix.Open(p.dir, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		if errors.Is(err, syscall.ENOTDIR) {
			return fmt.Errorf("option %q: %s is not a directory", optDirectory, p.dir)
		}
		return fmt.Errorf("option %q: brick directory %s: %w", optDirectory, p.dir, err)
	}
	p.rootFd = fd
	g, err := p.getGFID(p.rootFd, ".")
	switch {
	case errors.Is(err, syscall.ENODATA):
		if err := p.setGFID(p.rootFd, ".", xlator.RootGFID); err != nil {
			return fmt.Errorf("brick %s: set root gfid: %w", p.dir, err)
		}
		p.freshRoot = true
	case err != nil:
		return fmt.Errorf("brick %s: read root gfid (xattr %s): %w", p.dir, p.gfidKey, err)
	case g != xlator.RootGFID:
		return fmt.Errorf("brick %s: root directory carries gfid %s, not the root gfid: it is part of another brick", p.dir, g)
	}
	if err := p.openIndex(); err != nil {
		return fmt.Errorf("brick %s: handle index: %w", p.dir, err)
	}
	return nil
}

// Start announces the brick to its parents.
func (p *Posix) Start(ctx context.Context) error {
	p.Emit(xlator.EventChildUp)
	return nil
}

// Fini lets the janitor finish, marks the brick closed cleanly and
// closes its descriptors.
func (p *Posix) Fini() error {
	p.janitor.stop()
	p.markClosed()
	p.closeFds()
	return nil
}

func (p *Posix) closeFds() {
	p.dirs.clear()
	if p.metaFd >= 0 {
		unix.Close(p.metaFd)
		p.metaFd = -1
	}
	if p.rootFd >= 0 {
		unix.Close(p.rootFd)
		p.rootFd = -1
	}
}
