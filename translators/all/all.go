// Package all links every built-in translator into a program: importing it
// (blank) runs each translator package's init, which registers its type
// with xlator.Register. The loom binary imports it; a custom binary imports
// it and its own translator packages.
//
// A new built-in translator adds its blank import here, in the section of
// its category, and its type to the list in all_test.go.
package all

import (
	// Clusters.
	_ "github.com/loom-fs/loom/translators/cluster/distribute"
	_ "github.com/loom-fs/loom/translators/cluster/replicate"

	// Debugging.
	_ "github.com/loom-fs/loom/translators/debug/error-gen"
	_ "github.com/loom-fs/loom/translators/debug/trace"

	// Features.
	_ "github.com/loom-fs/loom/translators/features/index"
	_ "github.com/loom-fs/loom/translators/features/locks"
	_ "github.com/loom-fs/loom/translators/features/read-only"

	// Protocol.
	_ "github.com/loom-fs/loom/translators/protocol/client"
	_ "github.com/loom-fs/loom/translators/protocol/server"

	// Storage.
	_ "github.com/loom-fs/loom/translators/storage/posix"
)
