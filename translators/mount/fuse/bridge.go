package fuse

import (
	"log/slog"
	"sync/atomic"
	"time"

	gofuse "github.com/hanwen/go-fuse/v2/fuse"

	"github.com/loom-fs/loom/xlator"
)

// bridge answers the kernel's FUSE requests with fops on the top
// translator. It embeds go-fuse's default file system only for what Loom
// has no fop for (ioctl, tmpfile, statx, ...).
type bridge struct {
	gofuse.RawFileSystem

	top     xlator.Translator
	opts    Options
	log     *slog.Logger
	inodes  *inodeTable
	handles *handleTable
	groups  *groupCache
	gfids   *gfidSource

	entryTimeout    time.Duration
	attrTimeout     time.Duration
	negativeTimeout time.Duration

	// backer is the top's passthrough capability, nil when the top has
	// none or passthrough is off; server registers its descriptors with
	// the kernel (set by Mount before serving).
	backer xlator.BackingFiler
	// killPriv is set when the mount negotiated FUSE_HANDLE_KILLPRIV_V2
	// (killpriv.go): writes and truncates clear set-id bits here, so
	// no handle open for writing may be passed through.
	killPriv bool
	// directWrites gives handles open for writing FOPEN_DIRECT_IO
	// (directWriter): set for a top that passes through read-only
	// handles only, with FUSE_DIRECT_IO_ALLOW_MMAP negotiated.
	directWrites bool
	server       *gofuse.Server
	// noBacking is set once the kernel refused a backing descriptor
	// (no privilege, no CAP_PASSTHROUGH, a brick on a stacked file
	// system): from then on files open without passthrough.
	noBacking atomic.Bool

	// dotsMode remembers whether the graph's Readdir returns "." and
	// "..": dotsUnknown until the first listing from the start.
	dotsMode atomic.Int32
}

// newBridge returns a bridge serving top with o (defaults applied).
func newBridge(top xlator.Translator, o Options) *bridge {
	var backer xlator.BackingFiler
	if bf, ok := top.(xlator.BackingFiler); ok && !o.NoPassthrough {
		backer = bf
	}
	return &bridge{
		backer:          backer,
		RawFileSystem:   gofuse.NewDefaultRawFileSystem(),
		top:             top,
		opts:            o,
		log:             o.Log,
		inodes:          newInodeTable(),
		handles:         newHandleTable(),
		groups:          newGroupCache(o.GroupsTimeout),
		gfids:           newGFIDSource(),
		entryTimeout:    o.EntryTimeout,
		attrTimeout:     o.AttrTimeout,
		negativeTimeout: o.NegativeTimeout,
	}
}

// String names the file system (go-fuse uses it as the mount's subtype).
func (b *bridge) String() string { return "loom" }

// SetDebug is part of go-fuse's interface; the request log is enabled
// through the mount options instead.
func (b *bridge) SetDebug(bool) {}
