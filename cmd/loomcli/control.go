package loomcli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/loom-fs/loom/xlator"
)

// The control socket: every loom process that runs a graph (a mount, a
// server) listens on a unix socket that only root (or the owner) may use.
// A client sends one JSON ControlRequest and reads one JSON ControlReply;
// the request goes to every translator of the graph that implements
// xlator.Controller and matches the request's type and volume name. This
// is how "loom heal", "loom rebalance", "loom migrate" and "loom control"
// reach a running graph. A request of type "process" is for the loom
// process itself, not a translator: "loom volfile reload" sends
// {"type":"process","cmd":"reload"}.

// ControlRequest asks the translators of a running graph (or, with Type
// ProcessType, the process) to do something.
type ControlRequest struct {
	Type   string   `json:"type,omitempty"`   // translator type ("cluster/replicate"), ProcessType, or "" for any translator
	Volume string   `json:"volume,omitempty"` // volume name; "" for every volume of Type
	Cmd    string   `json:"cmd"`
	Args   []string `json:"args,omitempty"`
}

// ControlReply holds each matching translator's answer, or an error that
// stopped the request from reaching any.
type ControlReply struct {
	Replies []VolumeReply `json:"replies,omitempty"`
	Error   string        `json:"error,omitempty"`
}

// VolumeReply is one translator's answer: its result as JSON, or its error.
type VolumeReply struct {
	Volume string          `json:"volume"`
	Type   string          `json:"type"`
	Result json.RawMessage `json:"result,omitempty"`
	Error  string          `json:"error,omitempty"`
}

// controlTimeout bounds one command. Commands that start long work (a full
// heal, a rebalance) start it in the background and answer at once.
const controlTimeout = 30 * time.Second

// ProcessType is the request type of commands addressed to the loom
// process rather than to a translator of its graph.
const ProcessType = "process"

// processCommand is a command the process answers itself.
type processCommand struct {
	run     func(ctx context.Context, args []string) (any, error)
	timeout time.Duration // replaces controlTimeout
}

// processCommands are the process commands of each control socket (by
// its path), registered by the code that owns the work (the mount's live
// graph registers "reload") for as long as it can do it.
var processCommands = struct {
	sync.Mutex
	m map[string]map[string]processCommand
}{m: map[string]map[string]processCommand{}}

// handleProcessCommand makes the control socket of name answer requests
// {"type":"process","cmd":cmd} with run, bounded by timeout. The returned
// function withdraws it.
func handleProcessCommand(name, cmd string, timeout time.Duration, run func(ctx context.Context, args []string) (any, error)) (withdraw func()) {
	path := controlSocketPath(name)
	processCommands.Lock()
	defer processCommands.Unlock()
	if processCommands.m[path] == nil {
		processCommands.m[path] = map[string]processCommand{}
	}
	processCommands.m[path][cmd] = processCommand{run: run, timeout: timeout}
	return func() {
		processCommands.Lock()
		defer processCommands.Unlock()
		delete(processCommands.m[path], cmd)
		if len(processCommands.m[path]) == 0 {
			delete(processCommands.m, path)
		}
	}
}

// lookupProcessCommand returns the process command cmd of the control
// socket at path and the names of all its process commands.
func lookupProcessCommand(path, cmd string) (processCommand, bool, []string) {
	processCommands.Lock()
	defer processCommands.Unlock()
	var names []string
	for n := range processCommands.m[path] {
		names = append(names, n)
	}
	sort.Strings(names)
	pc, ok := processCommands.m[path][cmd]
	return pc, ok, names
}

// runProcessCommand runs the process command cmd of the process serving
// name, in this process (the mount's SIGHUP handler reloads this way).
func runProcessCommand(name, cmd string) (any, error) {
	pc, ok, _ := lookupProcessCommand(controlSocketPath(name), cmd)
	if !ok {
		return nil, fmt.Errorf("this process has no %q command", cmd)
	}
	ctx, cancel := context.WithTimeout(context.Background(), pc.timeout)
	defer cancel()
	return pc.run(ctx, nil)
}

// dispatchProcess answers a request addressed to the process: one reply
// whose Volume is empty and Type is ProcessType.
func dispatchProcess(ctx context.Context, path string, req *ControlRequest) ControlReply {
	pc, ok, names := lookupProcessCommand(path, req.Cmd)
	if !ok {
		known := strings.Join(names, ", ")
		if known == "" {
			known = "none"
		}
		return ControlReply{Error: fmt.Sprintf("the process has no command %q (known: %s)", req.Cmd, known)}
	}
	vr := VolumeReply{Type: ProcessType}
	res, err := pc.run(ctx, req.Args)
	if err == nil {
		vr.Result, err = json.Marshal(res)
	}
	if err != nil {
		vr.Error = err.Error()
	}
	return ControlReply{Replies: []VolumeReply{vr}}
}

// controlDir is where the sockets live: /run/loom for root, else a
// per-user runtime directory.
func controlDir() string {
	if os.Geteuid() == 0 {
		return "/run/loom"
	}
	if d := os.Getenv("XDG_RUNTIME_DIR"); d != "" {
		return filepath.Join(d, "loom")
	}
	return filepath.Join(os.TempDir(), fmt.Sprintf("loom-%d", os.Geteuid()))
}

// controlSocketPath names the socket of the process serving name (a
// mountpoint, or a server's volfile): its absolute path with slashes as
// dashes, as GlusterFS names its logs.
func controlSocketPath(name string) string {
	if abs, err := filepath.Abs(name); err == nil {
		name = abs
	}
	base := strings.ReplaceAll(strings.Trim(filepath.Clean(name), "/"), "/", "-")
	if base == "" {
		base = "root"
	}
	return filepath.Join(controlDir(), base+".sock")
}

// controlServer answers control requests for one graph.
type controlServer struct {
	graph func() *xlator.Graph
	ln    net.Listener
	path  string
	log   *slog.Logger
	done  chan struct{}
}

// startControl listens on the control socket for name. A stale socket
// left by a process that died is replaced; a live one is an error.
func startControl(name string, graph func() *xlator.Graph, log *slog.Logger) (*controlServer, error) {
	path := controlSocketPath(name)
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("control socket: %w", err)
	}
	if c, err := net.DialTimeout("unix", path, time.Second); err == nil {
		c.Close()
		return nil, fmt.Errorf("control socket %s: another loom process is serving %s", path, name)
	}
	os.Remove(path)
	ln, err := net.Listen("unix", path)
	if err != nil {
		return nil, fmt.Errorf("control socket: %w", err)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		ln.Close()
		return nil, fmt.Errorf("control socket: %w", err)
	}
	s := &controlServer{graph: graph, ln: ln, path: path, log: log, done: make(chan struct{})}
	go s.serve()
	log.Info("control socket listening", "path", path)
	return s, nil
}

// Close stops listening and removes the socket.
func (s *controlServer) Close() {
	s.ln.Close()
	<-s.done
	os.Remove(s.path)
}

func (s *controlServer) serve() {
	defer close(s.done)
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		go s.handle(c)
	}
}

func (s *controlServer) handle(c net.Conn) {
	defer c.Close()
	c.SetDeadline(time.Now().Add(controlTimeout + 5*time.Second))
	var req ControlRequest
	var reply ControlReply
	if err := json.NewDecoder(c).Decode(&req); err != nil {
		reply.Error = fmt.Sprintf("bad request: %v", err)
	} else if req.Type == ProcessType {
		timeout := controlTimeout
		if pc, ok, _ := lookupProcessCommand(s.path, req.Cmd); ok {
			timeout = pc.timeout
		}
		c.SetDeadline(time.Now().Add(timeout + 5*time.Second))
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		reply = dispatchProcess(ctx, s.path, &req)
		cancel()
		s.log.Info("control", "type", req.Type, "cmd", req.Cmd, "args", req.Args, "error", firstError(reply))
	} else {
		ctx, cancel := context.WithTimeout(context.Background(), controlTimeout)
		reply = dispatchControl(ctx, s.graph(), &req)
		cancel()
		s.log.Info("control", "type", req.Type, "volume", req.Volume, "cmd", req.Cmd, "args", req.Args, "answers", len(reply.Replies), "error", reply.Error)
	}
	json.NewEncoder(c).Encode(&reply)
}

// dispatchControl sends req to every matching Controller, top-down.
func dispatchControl(ctx context.Context, g *xlator.Graph, req *ControlRequest) ControlReply {
	var reply ControlReply
	if req.Cmd == "" {
		reply.Error = "no command given"
		return reply
	}
	var controllable []string
	ts := g.Translators()
	for i := len(ts) - 1; i >= 0; i-- {
		t := ts[i]
		ctl, ok := t.(xlator.Controller)
		if !ok {
			continue
		}
		controllable = append(controllable, fmt.Sprintf("%s (%s)", t.Name(), t.Type()))
		if (req.Type != "" && t.Type() != req.Type) || (req.Volume != "" && t.Name() != req.Volume) {
			continue
		}
		vr := VolumeReply{Volume: t.Name(), Type: t.Type()}
		res, err := ctl.Control(ctx, req.Cmd, req.Args)
		if err == nil {
			vr.Result, err = json.Marshal(res)
		}
		if err != nil {
			vr.Error = err.Error()
		}
		reply.Replies = append(reply.Replies, vr)
	}
	if len(reply.Replies) == 0 {
		want := req.Volume
		if want == "" {
			want = "of type " + req.Type
		}
		sort.Strings(controllable)
		reply.Error = fmt.Sprintf("no volume %s takes commands here (volumes that do: %s)", want, strings.Join(controllable, ", "))
		if len(controllable) == 0 {
			reply.Error = "no volume of this graph takes commands"
		}
	}
	return reply
}

// firstError is the error of reply, or of its first failed answer.
func firstError(reply ControlReply) string {
	if reply.Error != "" {
		return reply.Error
	}
	for _, r := range reply.Replies {
		if r.Error != "" {
			return r.Error
		}
	}
	return ""
}

// sendControl sends req to the loom process serving name (a mountpoint)
// and returns the answers. An error names the socket when no process
// answers.
func sendControl(name string, req *ControlRequest) ([]VolumeReply, error) {
	return sendControlWithin(name, req, controlTimeout+10*time.Second)
}

// sendControlWithin is sendControl waiting up to wait for the answer (a
// process command with a longer timeout than controlTimeout).
func sendControlWithin(name string, req *ControlRequest, wait time.Duration) ([]VolumeReply, error) {
	path := controlSocketPath(name)
	c, err := net.DialTimeout("unix", path, 5*time.Second)
	if err != nil {
		return nil, fmt.Errorf("no loom process answers for %s (control socket %s): %w", name, path, errors.Unwrap(err))
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(wait))
	if err := json.NewEncoder(c).Encode(req); err != nil {
		return nil, fmt.Errorf("control %s: %w", path, err)
	}
	var reply ControlReply
	if err := json.NewDecoder(c).Decode(&reply); err != nil {
		return nil, fmt.Errorf("control %s: reading the answer: %w", path, err)
	}
	if reply.Error != "" {
		return nil, errors.New(reply.Error)
	}
	return reply.Replies, nil
}
