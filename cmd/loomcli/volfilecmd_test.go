package loomcli

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/loom-fs/loom/volfile"
	"github.com/loom-fs/loom/xlator"
)

const goodVol = `# a leaf under two passthroughs
volume data
  type test/leaf
  option directory /srv/data
  option mode safe
end-volume

volume middle
  type test/pass
  subvolumes data
end-volume

volume top
  type test/pass
  subvolumes middle
end-volume
`

func TestVolfileCheckOK(t *testing.T) {
	p := writeFile(t, "good.vol", goodVol)
	status, out, errs := run(t, "volfile", "check", p)
	if status != 0 || errs != "" {
		t.Fatalf("check: status %d, stderr %q", status, errs)
	}
	if want := p + ": ok, top volume top, 3 volumes\n"; out != want {
		t.Errorf("check printed %q, want %q", out, want)
	}
	status, out, _ = run(t, "volfile", "check", "--volume-name", "middle", p)
	if status == 0 {
		t.Errorf("check --volume-name middle passed although top is then unused: %q", out)
	}
}

// badVolfiles are broken volfiles with what the one error line must say.
var badVolfiles = []struct {
	name string
	text string
	want []string
}{
	{"syntax.vol", "volume a\n  type test/leaf\n  option directory /x\n  bogus word\nend-volume\n",
		[]string{"syntax.vol:4:"}},
	{"missing-end.vol", "volume a\n  type test/leaf\n  option directory /x\n",
		[]string{"missing-end.vol:"}},
	{"unknown-type.vol", "volume a\n  type storage/nothing\nend-volume\n",
		[]string{"unknown-type.vol:2:", `unknown translator type "storage/nothing"`}},
	{"unknown-option.vol", "volume a\n  type test/leaf\n  option directory /x\n  option mdoe safe\nend-volume\n",
		[]string{"unknown-option.vol:4:", `volume "a"`, `unknown option "mdoe"`, `did you mean "mode"?`}},
	{"bad-enum.vol", "volume a\n  type test/leaf\n  option directory /x\n  option mode slow\nend-volume\n",
		[]string{"bad-enum.vol:4:", `option "mode"`, "fast, safe"}},
	{"bad-int.vol", "volume a\n  type test/leaf\n  option directory /x\n  option count 100\nend-volume\n",
		[]string{"bad-int.vol:4:", `option "count"`, "outside 1..64"}},
	{"relative-path.vol", "volume a\n  type test/leaf\n  option directory srv/x\nend-volume\n",
		[]string{"relative-path.vol:3:", `option "directory"`, "not an absolute path"}},
	{"misspelt-directory.vol", "volume a\n  type test/leaf\n  option directry /x\nend-volume\n",
		[]string{"misspelt-directory.vol:3:", `unknown option "directry"`, `did you mean "directory"?`}},
	{"missing-directory.vol", "volume a\n  type test/leaf\n  option mode safe\nend-volume\n",
		[]string{"missing-directory.vol:1:", `volume "a"`, `required option "directory" is missing`}},
	{"cycle.vol", "volume a\n  type test/pass\n  subvolumes b\nend-volume\nvolume b\n  type test/pass\n  subvolumes a\nend-volume\n",
		[]string{"cycle.vol:", "cycle", "b -> a -> b"}},
	{"unused.vol", "volume spare\n  type test/leaf\n  option directory /y\nend-volume\nvolume a\n  type test/leaf\n  option directory /x\nend-volume\n",
		[]string{"unused.vol:1:", `volume "spare" is not used`}},
	{"duplicate.vol", "volume a\n  type test/leaf\n  option directory /x\nend-volume\nvolume a\n  type test/leaf\n  option directory /y\nend-volume\n",
		[]string{"duplicate.vol:5:", `volume "a" defined twice`}},
	{"undefined-subvolume.vol", "volume a\n  type test/pass\n  subvolumes ghost\nend-volume\n",
		[]string{"undefined-subvolume.vol:3:", `subvolume "ghost" is not defined`}},
	{"leaf-with-child.vol", "volume a\n  type test/leaf\n  option directory /x\nend-volume\nvolume b\n  type test/leaf\n  option directory /y\n  subvolumes a\nend-volume\n",
		[]string{"leaf-with-child.vol:5:", "takes no subvolumes"}},
	{"bad.toml", "[[volume]]\nname = \"a\"\ntype = \"test/leaf\"\nsubvolumes = [\"x\"\n",
		[]string{"bad.toml:"}},
}

func TestVolfileCheckErrors(t *testing.T) {
	for _, c := range badVolfiles {
		t.Run(c.name, func(t *testing.T) {
			p := writeFile(t, c.name, c.text)
			status, out, errs := run(t, "volfile", "check", p)
			if status != exitFail || out != "" {
				t.Errorf("status %d (want 1), stdout %q", status, out)
			}
			want := make([]string, len(c.want))
			for i, w := range c.want {
				want[i] = strings.ReplaceAll(w, c.name, p)
			}
			oneErrorLine(t, errs, want...)
		})
	}
	status, _, errs := run(t, "volfile", "check", filepath.Join(t.TempDir(), "absent.vol"))
	if status != exitFail {
		t.Errorf("missing file: status %d", status)
	}
	oneErrorLine(t, errs, "absent.vol", "no such file or directory")
}

func TestMountRejectsBadVolfilesBeforeAnything(t *testing.T) {
	keepUmask(t)
	mp := t.TempDir()
	for _, c := range badVolfiles {
		p := writeFile(t, c.name, c.text)
		status, _, errs := run(t, "mount", "-N", "-f", p, mp)
		if status != exitFail {
			t.Errorf("%s: status %d, want 1", c.name, status)
		}
		oneErrorLine(t, errs, "loom mount: "+p)
	}
}

func TestVolfileGraph(t *testing.T) {
	p := writeFile(t, "good.vol", goodVol)
	status, out, errs := run(t, "volfile", "graph", p)
	if status != 0 || errs != "" {
		t.Fatalf("graph: status %d, stderr %q", status, errs)
	}
	specs, err := volfile.ParseFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if want := volfile.Tree(specs, ""); out != want {
		t.Errorf("graph printed\n%s\nwant\n%s", out, want)
	}
	iTop, iData := strings.Index(out, "top"), strings.Index(out, "data")
	if iTop < 0 || iData < iTop {
		t.Errorf("tree does not start at the top volume:\n%s", out)
	}
	status, out, _ = run(t, "volfile", "graph", "--dot", p)
	if status != 0 || out != volfile.Dot(specs, "") || !strings.Contains(out, "digraph") {
		t.Errorf("graph --dot: status %d:\n%s", status, out)
	}
	status, _, errs = run(t, "volfile", "graph", "--volume-name", "nowhere", p)
	if status != exitFail {
		t.Errorf("graph --volume-name nowhere: status %d", status)
	}
	oneErrorLine(t, errs, `no volume named "nowhere"`)
}

// comparable strips positions so that specs parsed from different syntaxes
// can be compared.
func comparable(specs []xlator.VolumeSpec) []xlator.VolumeSpec {
	out := make([]xlator.VolumeSpec, len(specs))
	for i, s := range specs {
		s.Pos, s.TypePos = xlator.Pos{}, xlator.Pos{}
		opts := make([]xlator.OptionSpec, len(s.Options))
		for j, o := range s.Options {
			opts[j] = xlator.OptionSpec{Key: o.Key, Value: o.Value}
		}
		subs := make([]xlator.SubvolumeRef, len(s.Subvolumes))
		for j, r := range s.Subvolumes {
			subs[j] = xlator.SubvolumeRef{Name: r.Name}
		}
		s.Options, s.Subvolumes = opts, subs
		out[i] = s
	}
	return out
}

func TestVolfileConvertRoundTrip(t *testing.T) {
	dir := t.TempDir()
	vol := filepath.Join(dir, "good.vol")
	if err := os.WriteFile(vol, []byte(goodVol), 0o644); err != nil {
		t.Fatal(err)
	}
	status, tomlText, errs := run(t, "volfile", "convert", vol)
	if status != 0 || errs != "" {
		t.Fatalf("convert to toml: status %d, stderr %q", status, errs)
	}
	if volfile.DetectSyntax("", []byte(tomlText)) != volfile.SyntaxTOML {
		t.Fatalf("default conversion of a .vol is not TOML:\n%s", tomlText)
	}
	tomlPath := filepath.Join(dir, "good.toml")
	if err := os.WriteFile(tomlPath, []byte(tomlText), 0o644); err != nil {
		t.Fatal(err)
	}
	status, glusterText, _ := run(t, "volfile", "convert", tomlPath)
	if status != 0 || volfile.DetectSyntax("", []byte(glusterText)) != volfile.SyntaxGluster {
		t.Fatalf("convert back: status %d:\n%s", status, glusterText)
	}
	orig, _ := volfile.Parse(vol, []byte(goodVol))
	back, err := volfile.Parse("back.vol", []byte(glusterText))
	if err != nil {
		t.Fatalf("converted text does not parse: %v\n%s", err, glusterText)
	}
	if !reflect.DeepEqual(comparable(orig), comparable(back)) {
		t.Errorf("round trip changed the volumes:\n%+v\n%+v", orig, back)
	}
	status, same, _ := run(t, "volfile", "convert", "--to", "gluster", vol)
	if status != 0 || volfile.DetectSyntax("", []byte(same)) != volfile.SyntaxGluster {
		t.Errorf("convert --to gluster: status %d:\n%s", status, same)
	}
	status, _, errs = run(t, "volfile", "convert", "--to", "yaml", vol)
	if status != exitUsage {
		t.Errorf("--to yaml: status %d", status)
	}
	oneErrorLine(t, errs, `--to "yaml": want toml or gluster`)
}
