package locks

// blockers returns the owners of the locks granted in sp that conflict
// with rec: whom a request for rec waits for.
func blockers(sp *space, rec *lockRec) []owner {
	var out []owner
	for i := range sp.granted {
		if conflicts(sp.id.kind, rec, &sp.granted[i]) {
			out = append(out, sp.granted[i].owner)
		}
	}
	return out
}

// wouldDeadlock reports whether queueing rec in sp would close a cycle in
// the wait-for graph: rec's owner would wait for the owners holding
// conflicting locks, and if one of them is (through any chain of queued
// requests of this family, on any inode) waiting for rec's owner, none of
// them can ever go on. An edge runs from a queued request's owner to the
// owners of the granted locks it conflicts with; requests held back only
// for fairness add no edge, since their owners hold nothing (see
// grantable) and so are never waited for.
func (t *table) wouldDeadlock(sp *space, rec *lockRec) bool {
	seen := map[owner]bool{}
	stack := blockers(sp, rec)
	for len(stack) > 0 {
		o := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if o == rec.owner {
			return true
		}
		if seen[o] {
			continue
		}
		seen[o] = true
		for _, w := range t.waits[familyOwner{sp.id.family, o}] {
			stack = append(stack, blockers(w.sp, &w.rec)...)
		}
	}
	return false
}
