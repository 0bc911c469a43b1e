package loomcli

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/loom-fs/loom/translators/mount/fuse"
	"github.com/loom-fs/loom/xlator"
)

// Live volfile reload: "loom reload MOUNTPOINT" asks the mount
// process to read its volfile again, build and start the new graph, and
// switch the FUSE bridge to its top (fuse.Session.SwitchTop) without
// unmounting. Open files are reopened on the new graph; the old graph is
// stopped once nothing uses it. The request travels on a unix socket
// beside the control socket (".reload.sock" instead of ".sock").

func init() {
	Register(&Command{
		Name:    "reload",
		Summary: "switch a running mount to its changed volfile without unmounting",
		Usage:   "loom reload MOUNTPOINT",
		Help: `Asks the loom process serving MOUNTPOINT to read its volfile again (the
file given to loom mount -f), build and start the new graph, wait for it
to come up, and switch the mount to it. Nothing is unmounted: files open
during the switch are reopened on the new graph by their GFID and keep
working; the old graph is stopped once no request and no open file uses
it. Use it to add a brick to a distribute volume (then "loom rebalance
MOUNTPOINT start"), to remove a drained one, or to change options.

Prints "MOUNTPOINT: switched to top VOLUME (N volumes)" or the error (a
volfile error with its file:line; the old graph keeps serving). POSIX
locks held on the old graph are not carried over, and a volfile that
also starts a protocol/server cannot be reloaded (its port is taken).`,
		Run: runVolfileReload,
	})
}

// reloadSocketPath is where the mount at name listens for reloads.
func reloadSocketPath(name string) string {
	return strings.TrimSuffix(controlSocketPath(name), ".sock") + ".reload.sock"
}

// reloadReply is the mount process's answer.
type reloadReply struct {
	Top     string `json:"top,omitempty"`
	Volumes int    `json:"volumes,omitempty"`
	Error   string `json:"error,omitempty"`
}

// reloadTimeout bounds a reload request (building and bringing up the
// new graph).
const reloadTimeout = 2 * time.Minute

func runVolfileReload(ctx context.Context, env *Env, args []string) int {
	if len(args) != 1 || strings.HasPrefix(args[0], "-") {
		fmt.Fprintf(env.Stderr, "%s reload: need MOUNTPOINT (see %s help reload)\n", env.Prog, env.Prog)
		return exitUsage
	}
	mp := args[0]
	path := reloadSocketPath(mp)
	c, err := net.DialTimeout("unix", path, 5*time.Second)
	if err != nil {
		return env.failf("reload", "no loom mount answers for %s (socket %s): %v", mp, path, errors.Unwrap(err))
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(reloadTimeout + 5*time.Second))
	if _, err := fmt.Fprintln(c, "reload"); err != nil {
		return env.failf("reload", "%s: %v", mp, err)
	}
	var r reloadReply
	if err := json.NewDecoder(c).Decode(&r); err != nil {
		return env.failf("reload", "%s: reading the answer: %v", mp, err)
	}
	if r.Error != "" {
		return env.failf("reload", "%s: %s", mp, r.Error)
	}
	fmt.Fprintf(env.Stdout, "%s: switched to top %s (%d volumes)\n", mp, r.Top, r.Volumes)
	return exitOK
}

// liveGraph is the graph a mount serves, replaced on reload.
type liveGraph struct {
	cur     *xlator.Graph
	sess    *fuse.Session
	mf      *mountFlags
	volfile string
	log     *slog.Logger
	ln      net.Listener
	path    string

	mu      sync.Mutex
	retired map[xlator.Translator]*xlator.Graph
	ended   bool
}

// liveGraphs makes the mount reloadable: it listens for "loom reload", switches sess to each new graph and stores it in *g (which
// serve stops at the end), stops replaced graphs once idle, and returns
// the getter of the current graph for the control socket. If the reload
// socket cannot be made, the mount still works; the getter then always
// returns *g.
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
	lg.path = reloadSocketPath(mountpoint)
	os.Remove(lg.path)
	ln, err := net.Listen("unix", lg.path)
	if err == nil {
		err = os.Chmod(lg.path, 0o600)
	}
	if err != nil {
		log.Warn("no reload socket: loom reload will not reach this mount", "err", err)
		if ln != nil {
			ln.Close()
		}
		return getter
	}
	lg.ln = ln
	go lg.serve(g)
	go lg.stopRetired()
	go func() {
		sess.Wait()
		lg.end()
	}()
	return getter
}

// serve answers reload requests until the listener closes.
func (lg *liveGraph) serve(g **xlator.Graph) {
	for {
		c, err := lg.ln.Accept()
		if err != nil {
			return
		}
		go func() {
			defer c.Close()
			c.SetDeadline(time.Now().Add(reloadTimeout + 5*time.Second))
			line, _ := bufio.NewReader(c).ReadString('\n')
			var r reloadReply
			if strings.TrimSpace(line) != "reload" {
				r.Error = fmt.Sprintf("unknown request %q", strings.TrimSpace(line))
			} else {
				r = lg.reload(g)
			}
			json.NewEncoder(c).Encode(&r)
		}()
	}
}

// reload builds, starts and switches to the volfile's new graph.
func (lg *liveGraph) reload(g **xlator.Graph) reloadReply {
	lg.mu.Lock()
	ended := lg.ended
	lg.mu.Unlock()
	if ended {
		return reloadReply{Error: "the mount is ending"}
	}
	lg.log.Info("reloading the volfile", "volfile", lg.volfile)
	specs, top, err := loadVolfile(lg.volfile, lg.mf.volumeName)
	if err != nil {
		return reloadReply{Error: err.Error()}
	}
	ng, err := xlator.Build(specs, xlator.BuildOptions{Top: lg.mf.volumeName, Log: lg.log})
	if err != nil {
		return reloadReply{Error: err.Error()}
	}
	ctx, cancel := context.WithTimeout(context.Background(), reloadTimeout)
	defer cancel()
	if err := ng.Start(ctx); err != nil {
		return reloadReply{Error: err.Error()}
	}
	upTimeout := lg.mf.upTimeout
	if upTimeout <= 0 {
		upTimeout = 30 * time.Second
	}
	upCtx, upCancel := context.WithTimeout(ctx, upTimeout)
	err = ng.WaitUp(upCtx)
	upCancel()
	if err != nil {
		ng.Stop()
		return reloadReply{Error: fmt.Sprintf("the new graph did not come up: %v", err)}
	}
	lg.mu.Lock()
	defer lg.mu.Unlock()
	if lg.ended {
		ng.Stop()
		return reloadReply{Error: "the mount is ending"}
	}
	old := *g
	lg.retired[old.Top()] = old
	if err := lg.sess.SwitchTop(ng.Top()); err != nil {
		delete(lg.retired, old.Top())
		ng.Stop()
		return reloadReply{Error: err.Error()}
	}
	*g = ng
	lg.log.Info("switched to the reloaded graph; the old one stops once idle", "top", top, "volumes", len(ng.Translators()))
	return reloadReply{Top: top, Volumes: len(ng.Translators())}
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

// end closes the reload socket and stops replaced graphs still waiting to
// become idle (the mount is gone); serve stops the current one.
func (lg *liveGraph) end() {
	lg.ln.Close()
	os.Remove(lg.path)
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
