package volfile

import (
	"fmt"
	"testing"

	"github.com/loom-fs/loom/xlator"
)

// bigGraph is a generated graph of n bricks under replicate pairs and one
// distribute, with a few options each, like a large GlusterFS volfile.
func bigGraph(n int) []xlator.VolumeSpec {
	var specs []xlator.VolumeSpec
	var top []xlator.SubvolumeRef
	for i := 0; i < n; i += 2 {
		var pair []xlator.SubvolumeRef
		for j := i; j < i+2; j++ {
			name := fmt.Sprintf("brick-%d", j)
			specs = append(specs, xlator.VolumeSpec{Name: name, Type: "storage/posix", Options: []xlator.OptionSpec{
				{Key: "directory", Value: fmt.Sprintf("/srv/bricks/%d", j)},
				{Key: "xattr-namespace", Value: "trusted"},
				{Key: "transport.socket.listen-port", Value: fmt.Sprint(24007 + j)},
			}})
			pair = append(pair, xlator.SubvolumeRef{Name: name})
		}
		name := fmt.Sprintf("replica-%d", i/2)
		specs = append(specs, xlator.VolumeSpec{Name: name, Type: "cluster/replicate", Subvolumes: pair,
			Options: []xlator.OptionSpec{{Key: "favorite-child-policy", Value: "mtime"}}})
		top = append(top, xlator.SubvolumeRef{Name: name})
	}
	return append(specs, xlator.VolumeSpec{Name: "dist", Type: "cluster/distribute", Subvolumes: top})
}

func BenchmarkParseGluster(b *testing.B) {
	data := FormatGluster(bigGraph(1000))
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := ParseGluster("big.vol", data); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseTOML(b *testing.B) {
	data := FormatTOML(bigGraph(1000))
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := ParseTOML("big.toml", data); err != nil {
			b.Fatal(err)
		}
	}
}
