package volfile

import (
	"fmt"
	"os"
	"strings"

	"github.com/loom-fs/loom/xlator"
)

// Syntax names returned by DetectSyntax.
const (
	SyntaxGluster = "gluster"
	SyntaxTOML    = "toml"
)

// Parse reads a volfile in either syntax, chosen by DetectSyntax.
// filename is used in positions and error messages.
func Parse(filename string, data []byte) ([]xlator.VolumeSpec, error) {
	if DetectSyntax(filename, data) == SyntaxTOML {
		return ParseTOML(filename, data)
	}
	return ParseGluster(filename, data)
}

// ParseFile reads and parses the volfile at path.
func ParseFile(path string) ([]xlator.VolumeSpec, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read volfile: %w", err)
	}
	return Parse(path, data)
}

// DetectSyntax tells which syntax a volfile is written in: "toml" when
// filename ends in .toml, "gluster" when it ends in .vol, and otherwise
// "gluster" when the first significant token (after white space and #
// comments) is the word `volume` and "toml" when it is not.
func DetectSyntax(filename string, data []byte) string {
	switch {
	case strings.HasSuffix(filename, ".toml"):
		return SyntaxTOML
	case strings.HasSuffix(filename, ".vol"):
		return SyntaxGluster
	}
	s := strings.TrimPrefix(string(data), "\uFEFF")
	for {
		s = strings.TrimLeft(s, " \t\r\n")
		if !strings.HasPrefix(s, "#") {
			break
		}
		if i := strings.IndexByte(s, '\n'); i >= 0 {
			s = s[i:]
		} else {
			s = ""
		}
	}
	rest, ok := strings.CutPrefix(s, "volume")
	if ok && (rest == "" || strings.ContainsRune(" \t\r\n\"", rune(rest[0]))) {
		// "volume = ..." or "volume.x = ..." would be TOML keys.
		if t := strings.TrimLeft(rest, " \t"); !strings.HasPrefix(t, "=") {
			return SyntaxGluster
		}
	}
	return SyntaxTOML
}
