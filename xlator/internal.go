package xlator

import (
	"strconv"
	"strings"
)

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

// XDataXattrNames is a Lookup request key (its value is ignored): a leaf
// that knows it answers with the same key, whose value is the entry's
// xattr names without Loom's own, each followed by a NUL (empty when it
// has none), as Listxattr would list them. A reply without the key means
// the names are not known: list them. replicate's heal of a new file
// asks for them in the lookup it makes under the file's locks, sparing a
// listxattr round trip on every copy.
const XDataXattrNames = "loom.xattr-names"

// XDataContent is a Lookup request key whose value is a size limit
// (ContentRequest): a leaf that stores file data answers, for a regular
// file of at most that many bytes, with the same key whose value is the
// file's whole contents, read without changing its access time. A reply
// without the key means they were not read. replicate's heal of a new
// file through protocol/client asks for them in the lookup it makes under
// the file's locks, sparing the open, read and release round trips of a
// small file. A translator that changes file data must not pass the
// request on unanswered.
const XDataContent = "loom.content"

// MaxContent is the largest limit an XDataContent request may name (the
// wire's bound on an xdata value).
const MaxContent = 64 << 10

// ContentRequest is the XDataContent request value for limit bytes.
func ContentRequest(limit int) []byte {
	return []byte(strconv.Itoa(min(limit, MaxContent)))
}

// ContentLimit returns the limit an XDataContent request value names;
// ok is false for a malformed one.
func ContentLimit(v []byte) (limit int, ok bool) {
	n, err := strconv.Atoi(string(v))
	if err != nil || n < 0 {
		return 0, false
	}
	return min(n, MaxContent), true
}

// JoinXattrNames is the XDataXattrNames value for names.
func JoinXattrNames(names []string) []byte {
	n := 0
	for _, s := range names {
		n += len(s) + 1
	}
	out := make([]byte, 0, n)
	for _, s := range names {
		out = append(append(out, s...), 0)
	}
	return out
}

// SplitXattrNames returns the names of an XDataXattrNames value.
func SplitXattrNames(v []byte) []string {
	var out []string
	for len(v) > 0 {
		i := strings.IndexByte(string(v), 0)
		if i < 0 {
			i = len(v)
		}
		if i > 0 {
			out = append(out, string(v[:i]))
		}
		if i == len(v) {
			break
		}
		v = v[i+1:]
	}
	return out
}

// IsInternalXattr reports whether name is one of Loom's own metadata
// xattrs, in the translators' form or in either on-disk form.
func IsInternalXattr(name string) bool {
	return strings.HasPrefix(name, InternalXattrPrefix) ||
		strings.HasPrefix(name, "trusted."+InternalXattrPrefix) ||
		strings.HasPrefix(name, "user."+InternalXattrPrefix)
}
