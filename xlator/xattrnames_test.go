package xlator

import (
	"slices"
	"testing"
)

// JoinXattrNames and SplitXattrNames are each other's inverse, an empty
// list included.
func TestXattrNamesRoundTrip(t *testing.T) {
	for _, names := range [][]string{nil, {"user.a"}, {"user.a", "security.selinux", "system.posix_acl_access"}} {
		got := SplitXattrNames(JoinXattrNames(names))
		if !slices.Equal(got, names) {
			t.Errorf("%q came back as %q", names, got)
		}
	}
}
