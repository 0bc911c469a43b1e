package loomcli

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/loom-fs/loom/xlator"
)

// counter is a controllable passthrough for the control socket tests: it
// counts "bump" commands and fails "fail".
type counter struct {
	xlator.Base
	n int
}

func (c *counter) Control(ctx context.Context, cmd string, args []string) (any, error) {
	switch cmd {
	case "bump":
		c.n += len(args) + 1
		return map[string]int{"count": c.n}, nil
	case "fail":
		return nil, errors.New("asked to fail")
	}
	return nil, errors.New("unknown command " + cmd + " (known: bump, fail)")
}

func init() {
	xlator.Register(xlator.Descriptor{
		Type: "test/counter", Doc: "a controllable passthrough for loomcli's tests",
		MinChildren: 1, MaxChildren: 1,
		New: func(cfg *xlator.Config) (xlator.Translator, error) { return &counter{Base: xlator.NewBase(cfg)}, nil },
	})
}

func controlGraph(t *testing.T) *xlator.Graph {
	t.Helper()
	specs := []xlator.VolumeSpec{
		{Name: "leaf", Type: "test/leaf", Options: []xlator.OptionSpec{{Key: "directory", Value: "/x"}}},
		{Name: "c1", Type: "test/counter", Subvolumes: []xlator.SubvolumeRef{{Name: "leaf"}}},
		{Name: "c2", Type: "test/counter", Subvolumes: []xlator.SubvolumeRef{{Name: "c1"}}},
	}
	g, err := xlator.Build(specs, xlator.BuildOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { g.Stop() })
	return g
}

func TestDispatchControlByTypeAndVolume(t *testing.T) {
	g := controlGraph(t)
	ctx := context.Background()
	r := dispatchControl(ctx, g, &ControlRequest{Type: "test/counter", Cmd: "bump"})
	if r.Error != "" || len(r.Replies) != 2 || r.Replies[0].Volume != "c2" || r.Replies[1].Volume != "c1" {
		t.Fatalf("by type: %+v", r)
	}
	r = dispatchControl(ctx, g, &ControlRequest{Volume: "c1", Cmd: "bump", Args: []string{"a", "b"}})
	if len(r.Replies) != 1 || string(r.Replies[0].Result) != `{"count":4}` {
		t.Fatalf("by volume: %+v", r)
	}
	r = dispatchControl(ctx, g, &ControlRequest{Volume: "c1", Cmd: "fail"})
	if len(r.Replies) != 1 || r.Replies[0].Error != "asked to fail" {
		t.Fatalf("failing command: %+v", r)
	}
	r = dispatchControl(ctx, g, &ControlRequest{Type: "cluster/replicate", Cmd: "info"})
	if !strings.Contains(r.Error, "no volume of type cluster/replicate takes commands here (volumes that do: c1 (test/counter), c2 (test/counter))") {
		t.Fatalf("no match: %+v", r)
	}
}

func TestControlSocketRoundTrip(t *testing.T) {
	g := controlGraph(t)
	name := filepath.Join(t.TempDir(), "mnt")
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	srv, err := startControl(name, func() *xlator.Graph { return g }, log)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := startControl(name, func() *xlator.Graph { return g }, log); err == nil || !strings.Contains(err.Error(), "another loom process") {
		t.Fatalf("second server on the same socket: %v", err)
	}
	replies, err := sendControl(name, &ControlRequest{Volume: "c2", Cmd: "bump"})
	if err != nil || len(replies) != 1 {
		t.Fatalf("sendControl = %+v, %v", replies, err)
	}
	var res map[string]int
	if err := json.Unmarshal(replies[0].Result, &res); err != nil || res["count"] != 1 {
		t.Fatalf("result %s: %v", replies[0].Result, err)
	}
	status, out, errOut := run(t, "control", "--type", "test/counter", name, "bump")
	if status != 0 || strings.Count(out, `"volume"`) != 2 || errOut != "" {
		t.Fatalf("loom control: %d %q %q", status, out, errOut)
	}
	srv.Close()
	if _, err := sendControl(name, &ControlRequest{Cmd: "bump"}); err == nil || !strings.Contains(err.Error(), "no loom process answers for") {
		t.Fatalf("after close: %v", err)
	}
	status, _, errOut = run(t, "control", name, "bump")
	if status != exitFail || !strings.Contains(errOut, "loom control: no loom process answers") {
		t.Fatalf("loom control after close: %d %q", status, errOut)
	}
}

// A request of type "process" reaches the command the process registered
// for that socket, not the graph; unknown ones and withdrawn ones say
// which the process knows.
func TestControlProcessCommands(t *testing.T) {
	g := controlGraph(t)
	name := filepath.Join(t.TempDir(), "mnt")
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	srv, err := startControl(name, func() *xlator.Graph { return g }, log)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	withdraw := handleProcessCommand(name, "echo", time.Minute, func(ctx context.Context, args []string) (any, error) {
		if len(args) == 0 {
			return nil, errors.New("nothing to echo")
		}
		return map[string][]string{"echo": args}, nil
	})
	replies, err := sendControl(name, &ControlRequest{Type: ProcessType, Cmd: "echo", Args: []string{"a"}})
	if err != nil || len(replies) != 1 || replies[0].Type != ProcessType || string(replies[0].Result) != `{"echo":["a"]}` {
		t.Fatalf("echo: %+v, %v", replies, err)
	}
	replies, err = sendControl(name, &ControlRequest{Type: ProcessType, Cmd: "echo"})
	if err != nil || len(replies) != 1 || replies[0].Error != "nothing to echo" {
		t.Fatalf("failing echo: %+v, %v", replies, err)
	}
	if _, err := sendControl(name, &ControlRequest{Type: ProcessType, Cmd: "bump"}); err == nil || err.Error() != `the process has no command "bump" (known: echo)` {
		t.Fatalf("unknown process command: %v", err)
	}
	if res, err := runProcessCommand(name, "echo"); err == nil {
		t.Fatalf("in-process echo without arguments: %v", res)
	}
	withdraw()
	if _, err := sendControl(name, &ControlRequest{Type: ProcessType, Cmd: "echo"}); err == nil || !strings.Contains(err.Error(), "(known: none)") {
		t.Fatalf("withdrawn command: %v", err)
	}
	// The graph's translators still answer on the same socket.
	if replies, err := sendControl(name, &ControlRequest{Volume: "c1", Cmd: "bump"}); err != nil || len(replies) != 1 {
		t.Fatalf("graph command: %+v, %v", replies, err)
	}
}
