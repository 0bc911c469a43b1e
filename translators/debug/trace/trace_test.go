package trace_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/loom-fs/loom/translators/debug/trace"
	_ "github.com/loom-fs/loom/translators/storage/posix"
	"github.com/loom-fs/loom/xlator"
	"github.com/loom-fs/loom/xlator/xlatortest"
)

func TestConformance(t *testing.T) {
	xlatortest.Run(t, func(t *testing.T) xlator.Translator {
		return xlatortest.NewStack(t, xlatortest.Layer(trace.Type))
	})
}

func TestForwardsEverything(t *testing.T) {
	xlatortest.CheckForwarding(t, func(child xlator.Translator) xlator.Translator {
		return xlatortest.Wrap(t, trace.Type, child, "log-level", "debug")
	})
}

// logBuffer collects JSON log lines from concurrent writers.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// lines decodes every line logged so far.
func (b *logBuffer) lines(t *testing.T) []map[string]any {
	t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(b.buf.String()), "\n") {
		if l == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("log line is not JSON: %q: %v", l, err)
		}
		out = append(out, m)
	}
	return out
}

func (b *logBuffer) text() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// fops returns the messages (fop names) of the lines that carry a result.
func fops(lines []map[string]any) []string {
	var out []string
	for _, l := range lines {
		if _, ok := l["result"]; ok {
			out = append(out, l["msg"].(string))
		}
	}
	return out
}

// traced builds trace (with the given options) over leafSpec, logging JSON
// at debug level into the returned buffer.
func traced(t *testing.T, leafSpec xlator.VolumeSpec, kv ...string) (xlator.Translator, *logBuffer) {
	t.Helper()
	buf := &logBuffer{}
	lg := slog.New(slog.NewJSONHandler(buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	layer := xlatortest.Layer(trace.Type, kv...)
	layer.Name = "tr"
	layer.Subvolumes = []xlator.SubvolumeRef{{Name: leafSpec.Name}}
	g := xlatortest.BuildWith(t, []xlator.VolumeSpec{leafSpec, layer}, xlator.BuildOptions{Log: lg})
	return g.Top(), buf
}

func recorderLeaf() xlator.VolumeSpec {
	return xlator.VolumeSpec{Name: "leaf", Type: xlatortest.RecorderType}
}

func TestLogsArgumentsResultAndLatency(t *testing.T) {
	top, buf := traced(t, xlatortest.PosixSpec("brick", t.TempDir()))
	ctx, c := context.Background(), &xlator.Call{UID: 0, GID: 0, PID: 77}
	loc := xlator.RootLoc().Child("hello.txt")
	loc.GFID = xlator.NewGFID()
	fd := xlator.NewFD(loc, syscall.O_CREAT|syscall.O_RDWR, false)
	if _, err := top.Create(ctx, c, fd, 0o644, 0o022); err != nil {
		t.Fatalf("create: %v", err)
	}
	secret := []byte("contents-that-must-never-be-logged")
	if _, err := top.Write(ctx, c, fd, secret, 4096); err != nil {
		t.Fatalf("write: %v", err)
	}
	top.Release(ctx, c, fd)
	if _, _, err := top.Lookup(ctx, c, xlator.RootLoc().Child("absent"), nil); err == nil {
		t.Fatal("lookup of a missing name succeeded")
	}

	lines := buf.lines(t)
	byFop := map[string]map[string]any{}
	for _, l := range lines {
		byFop[l["msg"].(string)] = l
	}
	create := byFop["create"]
	if create == nil {
		t.Fatalf("no create line in %v", fops(lines))
	}
	fdAttr, _ := create["fd"].(map[string]any)
	if fdAttr["path"] != "/hello.txt" || fdAttr["gfid"] != loc.GFID.String() || create["mode"] != "0644" ||
		create["umask"] != "022" || create["result"] != "ok" || create["pid"] != float64(77) || create["level"] != "INFO" {
		t.Errorf("create line: %v", create)
	}
	if _, ok := create["latency"].(float64); !ok {
		t.Errorf("create line has no latency: %v", create)
	}
	if st, _ := create["stat"].(map[string]any); st["gfid"] != loc.GFID.String() {
		t.Errorf("create line does not report the new file's gfid: %v", create)
	}
	write := byFop["write"]
	if write["off"] != float64(4096) || write["size"] != float64(len(secret)) || write["n"] != float64(len(secret)) {
		t.Errorf("write line: %v", write)
	}
	if strings.Contains(buf.text(), string(secret)) {
		t.Error("data contents were logged")
	}
	lookup := byFop["lookup"]
	if lookup["result"] != syscall.ENOENT.Error() || !strings.Contains(lookup["err"].(string), "no such file") {
		t.Errorf("failed lookup line: %v", lookup)
	}
	if byFop["release"] == nil {
		t.Errorf("release was not traced: %v", fops(lines))
	}
}

func TestIncludeAndExclude(t *testing.T) {
	ctx, c := context.Background(), xlator.RootCall()
	exercise := func(top xlator.Translator) {
		top.Stat(ctx, c, xlator.RootLoc())
		top.Lookup(ctx, c, xlator.RootLoc(), nil)
		top.CopyFileRange(ctx, c, xlator.NewFD(xlator.RootLoc(), 0, false), 0, xlator.NewFD(xlator.RootLoc(), 0, false), 0, 1, 0)
	}
	top, buf := traced(t, recorderLeaf(), "include-fops", "stat, COPY-FILE-RANGE")
	exercise(top)
	if got := strings.Join(fops(buf.lines(t)), " "); got != "stat copy_file_range" {
		t.Errorf("include-fops stat,copy-file-range traced %q", got)
	}
	top, buf = traced(t, recorderLeaf(), "exclude-fops", "lookup")
	exercise(top)
	if got := strings.Join(fops(buf.lines(t)), " "); got != "stat copy_file_range" {
		t.Errorf("exclude-fops lookup traced %q", got)
	}
}

func TestRejectsUnknownFop(t *testing.T) {
	for _, key := range []string{"include-fops", "exclude-fops"} {
		layer := xlatortest.Layer(trace.Type, key, "lookup,frobnicate")
		layer.Name = "tr"
		layer.Subvolumes = []xlator.SubvolumeRef{{Name: "leaf"}}
		_, err := xlator.Build([]xlator.VolumeSpec{recorderLeaf(), layer}, xlator.BuildOptions{})
		if err == nil || !strings.Contains(err.Error(), "frobnicate") || !strings.Contains(err.Error(), key) {
			t.Errorf("%s frobnicate: %v, want an error naming the option and the fop", key, err)
		}
	}
}

func TestLogLevel(t *testing.T) {
	top, buf := traced(t, recorderLeaf(), "log-level", "debug")
	top.Stat(context.Background(), xlator.RootCall(), xlator.RootLoc())
	lines := buf.lines(t)
	if len(lines) != 1 || lines[0]["level"] != "DEBUG" {
		t.Fatalf("log-level debug: %v", lines)
	}
}

// sleepy is a passthrough that makes stat slow, to test slow-threshold.
type sleepy struct{ xlator.Base }

func (s *sleepy) Stat(ctx context.Context, c *xlator.Call, loc *xlator.Loc) (xlator.Stat, error) {
	time.Sleep(30 * time.Millisecond)
	return s.Base.Stat(ctx, c, loc)
}

func TestSlowThreshold(t *testing.T) {
	leaf := xlatortest.NewRecorder("leaf", nil)
	slow := &sleepy{Base: xlator.NewBase(&xlator.Config{Name: "sleepy", Type: "test/sleepy", Children: []xlator.Translator{leaf}})}
	xlator.Attach(slow)
	buf := &logBuffer{}
	lg := slog.New(slog.NewJSONHandler(buf, nil))
	opts, err := xlator.NewOptions(trace.Options, []xlator.OptionSpec{{Key: "slow-threshold", Value: "10ms"}}, "tr")
	if err != nil {
		t.Fatal(err)
	}
	top, err := trace.New(&xlator.Config{Name: "tr", Type: trace.Type, Children: []xlator.Translator{slow}, Options: opts, Log: lg})
	if err != nil {
		t.Fatal(err)
	}
	ctx, c := context.Background(), xlator.RootCall()
	top.Lookup(ctx, c, xlator.RootLoc(), nil)
	top.Stat(ctx, c, xlator.RootLoc())
	lines := buf.lines(t)
	if got := fops(lines); len(got) != 1 || got[0] != "stat" {
		t.Fatalf("slow-threshold 10ms logged %v, want only the slow stat", got)
	}
	if lat := time.Duration(lines[0]["latency"].(float64)); lat < 30*time.Millisecond {
		t.Errorf("latency %v, want at least 30ms", lat)
	}

	// Reconfigure back to 0: everything is logged again.
	zero, _ := xlator.NewOptions(trace.Options, nil, "tr")
	if err := top.(xlator.Reconfigurer).Reconfigure(zero); err != nil {
		t.Fatal(err)
	}
	top.Lookup(ctx, c, xlator.RootLoc(), nil)
	if got := fops(buf.lines(t)); len(got) != 2 || got[1] != "lookup" {
		t.Fatalf("after reconfigure to 0: %v", got)
	}
}
