package loomcli

import (
	"strings"
	"testing"
)

func TestHelpOverviewListsCommandsAndTypes(t *testing.T) {
	status, out, errs := run(t, "help")
	if status != 0 || errs != "" {
		t.Fatalf("help: status %d, stderr %q", status, errs)
	}
	for _, want := range []string{
		"  help ", "  mount ", "  version ", "  volfile ",
		"test/leaf", "a leaf for loomcli's tests",
		"storage/posix", "a brick: stores the volume in a local directory",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("help output lacks %q:\n%s", want, out)
		}
	}
}

func TestHelpTypeShowsOptionTable(t *testing.T) {
	status, out, _ := run(t, "help", "test/leaf")
	if status != 0 {
		t.Fatalf("help test/leaf: status %d", status)
	}
	// Each option on its own row with type, default and allowed values.
	rows := map[string][]string{
		"directory": {"path", "(required)", "where the data lives"},
		"mode":      {"enum", "fast", "fast|safe"},
		"count":     {"int", "4", "1..64"},
		"block":     {"size", "128KiB", "4KiB..1GiB"},
		"timeout":   {"duration", "5s", "100ms..1m0s"},
		"verbose":   {"bool", "off", "on|off"},
	}
	lines := strings.Split(out, "\n")
	for key, want := range rows {
		found := false
		for _, l := range lines {
			f := strings.Fields(l)
			if len(f) > 0 && f[0] == key {
				found = true
				for _, w := range want {
					if !strings.Contains(l, w) {
						t.Errorf("row %q lacks %q: %q", key, w, l)
					}
				}
			}
		}
		if !found {
			t.Errorf("no row for option %q:\n%s", key, out)
		}
	}
	if !strings.Contains(out, "Subvolumes: none") {
		t.Errorf("no subvolume count:\n%s", out)
	}
	_, out, _ = run(t, "help", "test/pass")
	if !strings.Contains(out, "Subvolumes: at least 1") || !strings.Contains(out, "Options: none") {
		t.Errorf("help test/pass:\n%s", out)
	}
}

func TestHelpCommandAndFlagH(t *testing.T) {
	for _, args := range [][]string{{"help", "mount"}, {"mount", "-h"}, {"mount", "--help"}} {
		status, out, _ := run(t, args...)
		if status != 0 || !strings.Contains(out, "Usage: loom mount -f FILE") || !strings.Contains(out, "--cpuprofile") {
			t.Errorf("%v: status %d, output:\n%s", args, status, out)
		}
	}
	status, out, _ := run(t, "help", "volfile")
	if status != 0 || !strings.Contains(out, "loom volfile check") || !strings.Contains(out, "loom volfile convert") {
		t.Errorf("help volfile: status %d:\n%s", status, out)
	}
	status, out, _ = run(t, "help", "volfile", "graph")
	if status != 0 || !strings.Contains(out, "Usage: loom volfile graph [--dot]") {
		t.Errorf("help volfile graph: status %d:\n%s", status, out)
	}
	status, out, _ = run(t, "help", "volfile", "reload")
	if status != 0 || !strings.Contains(out, "Usage: loom volfile reload MOUNTPOINT") || !strings.Contains(out, "SIGHUP") {
		t.Errorf("help volfile reload: status %d:\n%s", status, out)
	}
	status, out, _ = run(t, "help", "reload")
	if status != 0 || !strings.Contains(out, "Usage: loom reload MOUNTPOINT") || !strings.Contains(out, `"loom reload MOUNTPOINT" is the same command`) {
		t.Errorf("help reload (the alias): status %d:\n%s", status, out)
	}
	status, out, _ = run(t, "volfile", "check", "-h")
	if status != 0 || !strings.Contains(out, "Usage: loom volfile check") {
		t.Errorf("volfile check -h: status %d:\n%s", status, out)
	}
}

func TestUnknownNamesGiveOneLine(t *testing.T) {
	cases := []struct {
		args   []string
		status int
		want   string
	}{
		{nil, exitUsage, "usage: loom COMMAND"},
		{[]string{"frobnicate"}, exitUsage, `unknown command "frobnicate"`},
		{[]string{"help", "cluster/nothing"}, exitFail, `"cluster/nothing" is neither a command nor a translator type`},
		{[]string{"help", "volfile", "nope"}, exitFail, `"volfile" has no subcommand "nope"`},
		{[]string{"volfile"}, exitUsage, "which one? (check, graph, convert, reload)"},
		{[]string{"volfile", "reload"}, exitUsage, "loom volfile reload: need MOUNTPOINT"},
		{[]string{"reload", "a", "b"}, exitUsage, "loom volfile reload: need MOUNTPOINT"},
		{[]string{"volfile", "nope"}, exitUsage, `unknown subcommand "nope"`},
		{[]string{"version", "extra"}, exitUsage, "takes no arguments"},
		{[]string{"mount", "--bogus"}, exitUsage, "flag provided but not defined: -bogus"},
	}
	for _, c := range cases {
		status, _, errs := run(t, c.args...)
		if status != c.status {
			t.Errorf("%v: status %d, want %d", c.args, status, c.status)
		}
		oneErrorLine(t, errs, c.want)
	}
}

func TestVersion(t *testing.T) {
	status, out, _ := run(t, "version")
	if status != 0 || !strings.HasPrefix(out, "loom "+Version) || !strings.Contains(out, "linux/") {
		t.Errorf("version: status %d, %q", status, out)
	}
}
