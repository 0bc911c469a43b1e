package xlatortest

import (
	"testing"

	"github.com/loom-fs/loom/xlator"
)

// conformanceCase is one behaviour every graph must show.
type conformanceCase struct {
	name string
	run  func(f *client)
}

// cases lists the conformance cases in the order Run runs them.
var cases = []conformanceCase{
	{"LookupRoot", testLookupRoot},
	{"LookupMissing", testLookupMissing},
	{"CreateWriteRead", testCreateWriteRead},
	{"CreateExclusive", testCreateExclusive},
	{"CreateUmaskAndOwner", testCreateUmaskAndOwner},
	{"Append", testAppend},
	{"Truncate", testTruncate},
	{"MkdirRmdir", testMkdirRmdir},
	{"Unlink", testUnlink},
	{"UnlinkOpenFile", testUnlinkOpenFile},
	{"Symlink", testSymlink},
	{"HardLink", testHardLink},
	{"RenameFile", testRenameFile},
	{"RenameDir", testRenameDir},
	{"RenameOverExisting", testRenameOverExisting},
	{"RenameNoReplace", testRenameNoReplace},
	{"RenameExchange", testRenameExchange},
	{"MknodFIFO", testMknodFIFO},
	{"ReaddirNames", testReaddirNames},
	{"ReaddirResume", testReaddirResume},
	{"ReaddirPlus", testReaddirPlus},
	{"ReaddirRootHidesInternals", testReaddirRootEmpty},
	{"SetattrMode", testSetattrMode},
	{"SetattrOwner", testSetattrOwner},
	{"SetattrTimes", testSetattrTimes},
	{"SetattrTimesNow", testSetattrTimesNow},
	{"Xattr", testXattr},
	{"XattrFlags", testXattrFlags},
	{"XattrFD", testXattrFD},
	{"XattrLarge", testXattrLarge},
	{"XattropAdd", testXattropAdd},
	{"XattropConcurrent", testXattropConcurrent},
	{"FxattropAdd64", testFxattropAdd64},
	{"InternalXattrsHidden", testInternalXattrsHidden},
	{"GFIDStableAndUnique", testGFID},
	{"Fallocate", testFallocate},
	{"DiscardZerofill", testDiscardZerofill},
	{"SeekDataHole", testSeekDataHole},
	{"CopyFileRange", testCopyFileRange},
	{"Statfs", testStatfs},
	{"AccessOwner", testAccessOwner},
}

// Run runs every conformance case as a subtest; newTop returns a fresh,
// started graph top over empty storage for each case (use t.TempDir and
// t.Cleanup inside newTop). The cases work at the fop level, without FUSE,
// resolving paths with Lookup as the FUSE bridge does, and check real
// results, errnos and attributes against POSIX and Linux behaviour.
func Run(t *testing.T, newTop func(t *testing.T) xlator.Translator) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			top := newTop(t)
			if top == nil {
				t.Fatal("newTop returned nil")
			}
			c.run(newClient(t, top))
		})
	}
}
