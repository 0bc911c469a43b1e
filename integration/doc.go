// Package integration holds Loom's end-to-end tests: they build the loom
// binary once, run "loom mount" in subprocesses against real FUSE mounts
// and check the results as a user (and the brick underneath) sees them.
//
// The tests need root and /dev/fuse; without them they skip with a
// message. Run them with
//
//	go test -count=1 -timeout 20m ./integration/
//	go test -count=1 -run 'TestPosix' -v ./integration/
//
// Every mount is guarded by a watchdog: if a test is still running when its
// deadline passes, the loom process is killed (which aborts the FUSE
// connection so that blocked system calls return) and the test fails with
// a message saying so. Every mount is unmounted in the test's cleanup, and
// the cleanup fails the test if a mount is left behind.
package integration
