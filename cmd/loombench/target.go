package main

import "context"

// A Target is one filesystem under test: the native directory, a FUSE
// daemon serving a backing directory, and later Loom graphs that need
// several processes. The runner calls Setup once per run, then runs the
// workloads in Path many times, then Teardown once, even after a failure.
type Target interface {
	// Name is the short name used by -only and in the table ("loopback").
	Name() string
	// Describe says in one line what the target is, for the report.
	Describe() string
	// Setup prepares the target: backing directories under env.Scratch,
	// daemons started and mounted. It registers anything it acquires with
	// env.Cleanup, so an abort can release it.
	Setup(ctx context.Context, env *Env) error
	// Path is the directory the workloads run in; valid after Setup.
	Path() string
	// Teardown unmounts and stops what Setup started. It must be safe to
	// call after a failed or partial Setup.
	Teardown() error
}

// targetFactories lists every known target in table order.
var targetFactories = []func() Target{
	func() Target { return &nativeTarget{} },
	func() Target { return &loopbackTarget{name: "loopback"} },
	func() Target { return &loopbackTarget{name: "loopback-nopt", noPassthrough: true} },
	func() Target { return &loopbackTarget{name: "loopback-ao", allowOther: true} },
	func() Target {
		return newLoomTarget("loom", "Loom storage/posix graph, defaults (as root: passthrough, allow_other, default_permissions)", posixVolfile)
	},
	func() Target {
		return newLoomTarget("loom-nopt", "Loom storage/posix graph, -o passthrough=off", posixVolfile, "-o", "passthrough=off")
	},
}

// referenceTarget is the target every ratio is computed against.
const referenceTarget = "loopback"
