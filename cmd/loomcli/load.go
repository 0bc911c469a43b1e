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
