package xlator

import "strings"

// InternalXattrPrefix starts the names of Loom's own metadata xattrs as
// translators use them ("loom.gfid", "loom.pending.…"). storage/posix
// stores them on disk under trusted.loom. (or user.loom. when
// unprivileged) and hides those from clients; the boundaries that face
// applications (the FUSE bridge) refuse names with this prefix.
const InternalXattrPrefix = "loom."

// XDataGFIDAssigned is the Lookup reply key a leaf sets when it has just
// given the entry its GFID: the entry was unknown to Loom until now (on a
// brick's root, that marks a fresh, empty brick).
const XDataGFIDAssigned = "loom.gfid-assigned"

// IsInternalXattr reports whether name is one of Loom's own metadata
// xattrs, in the translators' form or in either on-disk form.
func IsInternalXattr(name string) bool {
	return strings.HasPrefix(name, InternalXattrPrefix) ||
		strings.HasPrefix(name, "trusted."+InternalXattrPrefix) ||
		strings.HasPrefix(name, "user."+InternalXattrPrefix)
}
