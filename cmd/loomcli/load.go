package loomcli

import (
	"fmt"
	"os"
	"strings"

	"github.com/loom-fs/loom/volfile"
	"github.com/loom-fs/loom/xlator"
)

// loadVolfile reads, parses and checks a volfile as the graph builder
// would, and returns its volumes and the name of the top one.
func loadVolfile(path, top string) ([]xlator.VolumeSpec, string, error) {
	specs, err := readVolfile(path)
	if err != nil {
		return nil, "", err
	}
	if err := checkRequired(specs); err != nil {
		return nil, "", err
	}
	name, err := xlator.Check(specs, top)
	if err != nil {
		return nil, "", err
	}
	return specs, name, nil
}

// readVolfile reads and parses a volfile in either syntax.
func readVolfile(path string) ([]xlator.VolumeSpec, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("volfile: %w", err)
	}
	return volfile.Parse(path, data)
}

// checkRequired reports the first volume (in file order) of a known type
// that lacks a required option, with the volume's position in the file
// (xlator.Check names the volume and key but not the place).
func checkRequired(specs []xlator.VolumeSpec) error {
	for i := range specs {
		s := &specs[i]
		d, ok := xlator.Lookup(s.Type)
		if !ok {
			continue
		}
		for _, o := range d.Options {
			if !o.Required || strings.Contains(o.Key, "*") {
				continue
			}
			if _, set := s.Option(o.Key); !set {
				return fmt.Errorf("%s: volume %q (%s): required option %q is missing (%s)", s.Pos, s.Name, s.Type, o.Key, o.Help)
			}
		}
	}
	return nil
}
