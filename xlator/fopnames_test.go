package xlator

import (
	"strings"
	"testing"
)

func TestFopNames(t *testing.T) {
	names := strings.Join(FopNames(), " ")
	for _, want := range []string{"lookup", "copy_file_range", "fsetxattr", "readdir", "entrylk"} {
		if !strings.Contains(" "+names+" ", " "+want+" ") {
			t.Errorf("FopNames lacks %q: %s", want, names)
		}
	}
	got, err := CanonicalFops("enable", []string{"Write", "copy-file-range", "FSETXATTR"})
	if err != nil || !got["write"] || !got["copy_file_range"] || !got["fsetxattr"] || len(got) != 3 {
		t.Fatalf("CanonicalFops = %v, %v", got, err)
	}
	if _, err := CanonicalFops("enable", []string{"wrote"}); err == nil || !strings.Contains(err.Error(), `option enable: "wrote" is not a fop`) {
		t.Fatalf("unknown fop error = %v", err)
	}
}
