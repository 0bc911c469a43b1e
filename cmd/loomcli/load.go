package loomcli

import (
	"fmt"
	"os"

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
	name, err := xlator.Check(specs, top)
	if err != nil {
		return nil, "", placeRequired(specs, err)
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

// placeRequired adds the volume's file position to xlator's "required
// option is missing" error, which names the volume and key but not the
// place; any other error is returned unchanged.
func placeRequired(specs []xlator.VolumeSpec, err error) error {
	for i := range specs {
		s := &specs[i]
		d, ok := xlator.Lookup(s.Type)
		if !ok {
			continue
		}
		for _, o := range d.Options {
			if !o.Required {
				continue
			}
			if err.Error() == fmt.Sprintf("volume %q: required option %q is missing (%s)", s.Name, o.Key, o.Help) {
				return fmt.Errorf("%s: volume %q (%s): required option %q is missing (%s)", s.Pos, s.Name, s.Type, o.Key, o.Help)
			}
		}
	}
	return err
}
