// Package xlator is the core of Loom: the file-operation interface that every
// translator implements, the passthrough base a translator embeds, the
// registry of translator types with their option schemas, and the graph
// builder that turns a volfile's volumes into a running stack.
//
// # Calls
//
// Every fop is a synchronous method that takes a context.Context first (for
// cancellation and deadlines) and a *Call describing the caller (uid, gid,
// groups, pid, lock owner). Fan-out translators (replicate, distribute) use
// goroutines internally. Errors are syscall.Errno values, or wrap one with
// %w; Errno converts any error to the errno that crosses FUSE or the wire.
// Never return ENOSYS for a transient or per-file failure: the kernel takes
// it to mean "this filesystem never supports the operation".
//
// FUSE cancels a request's context when the calling process receives a
// signal. A translator that changes several children at once must not pass
// a cancellable context into the part that has to complete on all of them
// (use context.WithoutCancel), or the children diverge.
//
// Buffers passed to a fop (the data of Write, the value of Setxattr, the
// destination of Read) belong to the caller and are reused after the fop
// returns: copy before keeping.
//
// # Identity
//
// Every file and directory carries a 16-byte GFID. A Loc names an entry by
// path from the volume root, by GFID, and by parent GFID plus name. For
// fops that create an entry, Loc.GFID is the GFID the new entry must get;
// for Lookup it is the GFID to assign if the entry has none yet.
//
// # Writing a translator
//
// Embed Base (which forwards every fop to the first child) and override the
// fops to change; register the type with Register in an init function. A
// leaf translator (one that stores data itself) embeds Leaf instead, which
// answers ENOTSUP for every fop it does not implement.
package xlator
