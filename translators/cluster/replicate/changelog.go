package replicate

import (
	"encoding/binary"

	"github.com/loom-fs/loom/xlator"
)

// Changelog xattrs. On child i, "loom.pending.<child j's name>" holds what
// i knows child j missed (i blames j): three big-endian int32 counters,
// data, metadata and entry. "loom.dirty" counts transactions that began on
// this child and have not ended (GlusterFS's dirty xattr): after a crash it
// says a heal must compare the copies even though nobody blames anybody.
const (
	pendingPrefix = "loom.pending."
	dirtyKey      = "loom.dirty"
)

// encode returns c as the 12-byte changelog value.
func (c counters) encode() []byte {
	b := make([]byte, 12)
	for i, v := range c {
		binary.BigEndian.PutUint32(b[4*i:], uint32(v))
	}
	return b
}

// decodeCounters reads a changelog value (missing or short values count as
// zeros).
func decodeCounters(b []byte) counters {
	var c counters
	for i := range c {
		if len(b) >= 4*(i+1) {
			c[i] = int32(binary.BigEndian.Uint32(b[4*i:]))
		}
	}
	return c
}

// one returns counters with 1 in type typ.
func one(typ int) counters {
	var c counters
	c[typ] = 1
	return c
}

// neg returns -c.
func (c counters) neg() counters {
	return counters{-c[0], -c[1], -c[2]}
}

// isZero reports whether every counter is 0.
func (c counters) isZero() bool { return c == counters{} }

// changelogReq returns the Lookup request XData that asks child i for its
// changelog, merged into the caller's req: its dirty counter and what it
// holds against each other child. A child never blames itself (decide
// skips that key and no transaction writes it), so its own pending key is
// not asked for: one getxattr less per child and lookup.
func (r *Replicate) changelogReq(req xlator.XData, i int) xlator.XData {
	out := make(xlator.XData, len(req)+len(r.pendingKeys))
	for k, v := range req {
		out[k] = v
	}
	for j, k := range r.pendingKeys {
		if j != i {
			out[k] = nil
		}
	}
	out[dirtyKey] = nil
	return out
}

// parseChangelog fills st's Pending and Dirty from a Lookup reply.
func (r *Replicate) parseChangelog(st *replyState, x xlator.XData) {
	st.Pending = make([]counters, len(r.kids))
	for j, k := range r.pendingKeys {
		st.Pending[j] = decodeCounters(x[k])
	}
	st.Dirty = decodeCounters(x[dirtyKey])
	_, st.Fresh = x[xlator.XDataGFIDAssigned]
}

// stripChangelog removes the changelog keys from a reply the caller did
// not ask for.
func (r *Replicate) stripChangelog(x, req xlator.XData) xlator.XData {
	if x == nil {
		return nil
	}
	out := xlator.XData{}
	for k, v := range x {
		if _, asked := req[k]; !asked && (k == dirtyKey || len(k) > len(pendingPrefix) && k[:len(pendingPrefix)] == pendingPrefix) {
			continue
		}
		out[k] = v
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// marks returns the Xattrop argument that adds add to the dirty counter
// and blame to the pending counters of the children set in blamed.
func (r *Replicate) marks(dirtyAdd counters, blamed []bool, blame counters) xlator.XData {
	x := xlator.XData{}
	if !dirtyAdd.isZero() {
		x[dirtyKey] = dirtyAdd.encode()
	}
	for j, b := range blamed {
		if b && !blame.isZero() {
			x[r.pendingKeys[j]] = blame.encode()
		}
	}
	return x
}

// withAllKeys adds every changelog key missing from x with a zero value.
// Xattrops that lower counters (post-op, heal) send the whole changelog
// this way, so that features/index on the brick sees every value and can
// drop the inode's record when all are zero.
func (r *Replicate) withAllKeys(x xlator.XData) xlator.XData {
	zero := counters{}.encode()
	if _, ok := x[dirtyKey]; !ok {
		x[dirtyKey] = zero
	}
	for _, k := range r.pendingKeys {
		if _, ok := x[k]; !ok {
			x[k] = zero
		}
	}
	return x
}

// withoutSelf returns x without child i's own pending key, which is
// always zero on child i: the post-op neither reads nor writes it there.
func (r *Replicate) withoutSelf(x xlator.XData, i int) xlator.XData {
	if _, ok := x[r.pendingKeys[i]]; !ok {
		return x
	}
	out := make(xlator.XData, len(x))
	for k, v := range x {
		if k != r.pendingKeys[i] {
			out[k] = v
		}
	}
	return out
}
