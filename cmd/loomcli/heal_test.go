package loomcli

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/loom-fs/loom/translators/cluster/replicate"
)

func TestCheckHealArgs(t *testing.T) {
	cases := []struct {
		args []string
		ok   bool
	}{
		{nil, false},
		{[]string{"info"}, true},
		{[]string{"info", "x"}, false},
		{[]string{"status"}, true},
		{[]string{"bogus"}, false},
		{[]string{"split-brain"}, false},
		{[]string{"split-brain", "bigger-file"}, true},
		{[]string{"split-brain", "bigger-file", "/a"}, true},
		{[]string{"split-brain", "bigger-file", "/a", "/b"}, false},
		{[]string{"split-brain", "latest-mtime", "/a"}, true},
		{[]string{"split-brain", "source-brick"}, false},
		{[]string{"split-brain", "source-brick", "b1"}, true},
		{[]string{"split-brain", "source-brick", "b1", "/a"}, true},
		{[]string{"split-brain", "coin-toss"}, false},
	}
	for _, c := range cases {
		if err := checkHealArgs(c.args); (err == nil) != c.ok {
			t.Errorf("checkHealArgs(%q) = %v, want ok=%v", c.args, err, c.ok)
		}
	}
}

func TestInfoText(t *testing.T) {
	in := &replicate.Info{Volume: "rep", Pending: 3, SplitBrain: 1,
		Bricks:  []replicate.BrickInfo{{Name: "b0", Up: true, Indexed: true, Pending: 3}, {Name: "b1"}},
		Entries: []replicate.Entry{{GFID: "g1", Path: "/a"}, {GFID: "g2", SplitBrain: true}}}
	got := infoText(in)
	for _, want := range []string{"Volume rep: 3 pending, 1 in split-brain", "b0", "3 pending in its index",
		"down", "/a", "<gfid:g2>  (split-brain)", "and 1 more"} {
		if !strings.Contains(got, want) {
			t.Errorf("info text lacks %q:\n%s", want, got)
		}
	}
}

func TestStatusLine(t *testing.T) {
	cases := []struct {
		s    replicate.Status
		want []string
	}{
		{replicate.Status{Volume: "rep", ETASeconds: -1}, []string{"rep: idle, 0 pending"}},
		{replicate.Status{Volume: "rep", Paused: true, Pending: 2}, []string{"paused, 2 pending"}},
		{replicate.Status{Volume: "rep", Indexed: 7, ETASeconds: -1}, []string{"healing, 7 pending"}},
		{replicate.Status{Volume: "rep", FullRunning: true, FilesDone: 5, FilesTotal: 10, BytesDone: 1 << 20,
			BytesTotal: 4 << 20, BytesPerSec: 1 << 20, Seconds: 1, ETASeconds: 3},
			[]string{"full heal running", "files 5/10", "1.0MiB/4.0MiB", "1.0MiB/s", "ETA 3s"}},
	}
	for _, c := range cases {
		got := statusLine(&c.s)
		for _, w := range c.want {
			if !strings.Contains(got, w) {
				t.Errorf("statusLine(%+v) = %q, lacks %q", c.s, got, w)
			}
		}
	}
}

func TestAnyHealing(t *testing.T) {
	reply := func(s replicate.Status) VolumeReply {
		b, _ := json.Marshal(s)
		return VolumeReply{Volume: "rep", Result: b}
	}
	if anyHealing([]VolumeReply{reply(replicate.Status{})}) {
		t.Error("an idle volume is taken as healing")
	}
	if !anyHealing([]VolumeReply{reply(replicate.Status{}), reply(replicate.Status{Indexed: 1})}) {
		t.Error("records in an index are not taken as healing")
	}
	if anyHealing([]VolumeReply{{Volume: "rep", Error: "boom"}}) {
		t.Error("an error reply is taken as healing")
	}
}

func TestResolvedText(t *testing.T) {
	got := resolvedText("rep", &replicate.Resolved{Policy: "bigger-file", Resolved: []string{"/a"}, Failed: []string{"/b: EIO"}})
	for _, w := range []string{"bigger-file resolved 1, 1 failed", "resolved /a", "failed   /b: EIO"} {
		if !strings.Contains(got, w) {
			t.Errorf("resolved text lacks %q:\n%s", w, got)
		}
	}
}
