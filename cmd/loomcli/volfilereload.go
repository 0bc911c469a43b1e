package loomcli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/loom-fs/loom/translators/mount/fuse"
	"github.com/loom-fs/loom/xlator"
)

// Live volfile reload: "loom volfile reload MOUNTPOINT" (or its alias
// "loom reload", or SIGHUP to the mount process, as GlusterFS does) asks
// the mount process to read its volfile again, build and start the new
// graph, and switch the FUSE bridge to its top (fuse.Session.SwitchTop)
// without unmounting. Open files are reopened on the new graph; the old
// graph is stopped once nothing uses it. The request travels on the
// mount's control socket as {"type":"process","cmd":"reload"}.

// reloadHelp is the help text of the reload command and its alias.
const reloadHelp = `Asks the loom process serving MOUNTPOINT to read its volfile again (the
file given to loom mount -f), build and start the new graph, wait for it
to come up, and switch the mount to it. Nothing is unmounted: files open
during the switch are reopened on the new graph by their GFID and keep
working; the old graph is stopped once no request and no open file uses
it. Use it to add a brick to a distribute volume (then "loom rebalance
MOUNTPOINT start"), to remove a drained one, or to change options.
SIGHUP to the mount process does the same (the answer goes to its log).

Prints "MOUNTPOINT: switched to top VOLUME (N volumes)" or the error (a
volfile error with its file:line; the old graph keeps serving). POSIX
locks held on the old graph are not carried over, and a volfile that
also starts a protocol/server cannot be reloaded (its port is taken).
"loom reload MOUNTPOINT" is the same command.`

// volfileReloadCommand is "loom volfile reload" (listed with the other
// volfile subcommands in volfilecmd.go).
var volfileReloadCommand = &Command{
	Name:    "reload",
	Summary: "switch a running mount to its changed volfile without unmounting",
	Usage:   "loom volfile reload MOUNTPOINT",
	Help:    reloadHelp,
	Run:     runVolfileReload,
}

func init() {
	Register(&Command{
		Name:    "reload",
		Summary: "the same as loom volfile reload",
		Usage:   "loom reload MOUNTPOINT",
		Help:    reloadHelp,
		Run:     runVolfileReload,
	})
}

// reloadReply is the mount process's answer.
type reloadReply struct {
	Top     string `json:"top,omitempty"`
	Volumes int    `json:"volumes,omitempty"`
}

// reloadTimeout bounds a reload request (building and bringing up the
// new graph).
const reloadTimeout = 2 * time.Minute

func runVolfileReload(ctx context.Context, env *Env, args []string) int {
	if len(args) != 1 || strings.HasPrefix(args[0], "-") {
		fmt.Fprintf(env.Stderr, "%s volfile reload: need MOUNTPOINT (see %s help volfile reload)\n", env.Prog, env.Prog)
		return exitUsage
	}
	mp := args[0]
	replies, err := sendControlWithin(mp, &ControlRequest{Type: ProcessType, Cmd: "reload"}, reloadTimeout+10*time.Second)
	if err != nil {
		return env.failf("volfile reload", "%s: %v", mp, err)
	}
	if len(replies) != 1 {
		return env.failf("volfile reload", "%s: %d answers, want one", mp, len(replies))
	}
	if replies[0].Error != "" {
		return env.failf("volfile reload", "%s: %s", mp, replies[0].Error)
	}
	var r reloadReply
	if err := json.Unmarshal(replies[0].Result, &r); err != nil {
		return env.failf("volfile reload", "%s: reading the answer: %v", mp, err)
	}
	fmt.Fprintf(env.Stdout, "%s: switched to top %s (%d volumes)\n", mp, r.Top, r.Volumes)
	return exitOK
}

// liveGraph is the graph a mount serves, replaced on reload.
type liveGraph struct {
	cur      *xlator.Graph
	sess     *fuse.Session
	mf       *mountFlags
	volfile  string
	log      *slog.Logger
	withdraw func() // removes the reload command from the control socket

	reloading sync.Mutex // one reload at a time

	mu      sync.Mutex
	retired map[xlator.Translator]*xlator.Graph
	ended   bool
}

// liveGraphs makes the mount reloadable: it answers the process command
// "reload" on the mount's control socket (loom volfile reload, and
// SIGHUP through the stopper), switches sess to each new graph and stores
// it in *g (which serveMount stops at the end), stops replaced graphs once
// idle, and returns the getter of the current graph for the control
// socket.
func liveGraphs(g **xlator.Graph, sess *fuse.Session, mf *mountFlags, mountpoint string, log *slog.Logger) func() *xlator.Graph {
	abs, err := filepath.Abs(mf.volfile)
	if err != nil {
		abs = mf.volfile
	}
	lg := &liveGraph{cur: *g, sess: sess, mf: mf, volfile: abs, log: log, retired: map[xlator.Translator]*xlator.Graph{}}
	getter := func() *xlator.Graph {
		lg.mu.Lock()
		defer lg.mu.Unlock()
		return *g
	}
	lg.withdraw = handleProcessCommand(mountpoint, "reload", reloadTimeout, func(ctx context.Context, args []string) (any, error) {
		if len(args) != 0 {
			return nil, fmt.Errorf("reload takes no arguments")
		}
		return lg.reload(g)
	})
	go lg.stopRetired()
	go func() {
		sess.Wait()
		lg.end()
	}()
	return getter
}

// reload builds, starts and switches to the volfile's new graph, one
// reload at a time.
func (lg *liveGraph) reload(g **xlator.Graph) (reloadReply, error) {
	lg.reloading.Lock()
	defer lg.reloading.Unlock()
	lg.mu.Lock()
	ended := lg.ended
	lg.mu.Unlock()
	if ended {
		return reloadReply{}, errors.New("the mount is ending")
	}
	lg.log.Info("reloading the volfile", "volfile", lg.volfile)
	specs, top, err := loadVolfile(lg.volfile, lg.mf.volumeName)
	if err != nil {
		return reloadReply{}, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), reloadTimeout)
	defer cancel()
	ng, err := startGraph(ctx, specs, &lg.mf.processFlags, top, lg.log)
	if err != nil {
		return reloadReply{}, err
	}
	lg.mu.Lock()
	defer lg.mu.Unlock()
	if lg.ended {
		ng.Stop()
		return reloadReply{}, errors.New("the mount is ending")
	}
	old := *g
	lg.retired[old.Top()] = old
	if err := lg.sess.SwitchTop(ng.Top()); err != nil {
		delete(lg.retired, old.Top())
		ng.Stop()
		return reloadReply{}, err
	}
	*g = ng
	lg.log.Info("switched to the reloaded graph; the old one stops once idle", "top", top, "volumes", len(ng.Translators()))
	return reloadReply{Top: top, Volumes: len(ng.Translators())}, nil
}

// stopRetired stops each replaced graph once the bridge no longer uses it.
func (lg *liveGraph) stopRetired() {
	for t := range lg.sess.Retired() {
		lg.mu.Lock()
		old := lg.retired[t]
		delete(lg.retired, t)
		lg.mu.Unlock()
		if old != nil {
			lg.log.Info("stopping the replaced graph", "top", t.Name())
			if err := old.Stop(); err != nil {
				lg.log.Warn("stopping the replaced graph failed", "err", err)
			}
		}
	}
}

// end withdraws the reload command and stops replaced graphs still
// waiting to become idle (the mount is gone); serveMount stops the
// current one.
func (lg *liveGraph) end() {
	lg.withdraw()
	lg.mu.Lock()
	lg.ended = true
	var left []*xlator.Graph
	for t, old := range lg.retired {
		left = append(left, old)
		delete(lg.retired, t)
	}
	lg.mu.Unlock()
	for _, old := range left {
		old.Stop()
	}
}
