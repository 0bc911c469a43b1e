package loomcli

import (
	"bytes"
	"strings"
	"testing"

	"github.com/loom-fs/loom/translators/cluster/distribute"
)

func TestRebalanceStatusLine(t *testing.T) {
	s := rebalanceStatus{distribute.Status{State: "running", Mode: "start", Phase: "migrating", Dirs: 3, Migrated: 10, TotalFiles: 40,
		Bytes: 3 << 20, TotalBytes: 12 << 20, FilesPerSec: 2.5, BytesPerSec: 1 << 20, ETASec: 9}}
	got := s.Line()
	for _, want := range []string{"start: migrating", "files 10/40", "3.0MiB/12.0MiB", "2.5 files/s", "1.0MiB/s", "ETA 9s"} {
		if !strings.Contains(got, want) {
			t.Errorf("line %q lacks %q", got, want)
		}
	}
	done := rebalanceStatus{distribute.Status{State: "completed", Removable: []string{"b2"}}}
	if got := done.Line(); !strings.Contains(got, "removable: b2") || strings.Contains(got, "ETA") {
		t.Errorf("completed line %q", got)
	}
}

func TestRebalanceUsage(t *testing.T) {
	var out, errb bytes.Buffer
	env := &Env{Stdout: &out, Stderr: &errb, Prog: "loom"}
	if code := runRebalance(t.Context(), env, []string{"/mnt"}); code != exitUsage {
		t.Errorf("no command: exit %d", code)
	}
	if code := runRebalance(t.Context(), env, []string{"/mnt", "frob"}); code != exitFail || !strings.Contains(errb.String(), "unknown command") {
		t.Errorf("unknown command: exit %d, %q", code, errb.String())
	}
	errb.Reset()
	if code := runRebalance(t.Context(), env, []string{"/nonexistent-mount", "status"}); code != exitFail || !strings.Contains(errb.String(), "no loom process answers") {
		t.Errorf("no mount: exit %d, %q", code, errb.String())
	}
}
