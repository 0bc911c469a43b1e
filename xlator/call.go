package xlator

// Call describes who is calling a fop: the credentials the operation is
// done for and the owner of any lock it takes. It is GlusterFS's
// call_frame_t root, reduced to what translators need.
type Call struct {
	UID       uint32
	GID       uint32
	Groups    []uint32 // supplementary groups, where known
	PID       uint32
	LockOwner uint64
	// Client identifies the mount or connection the call came through
	// ("" for calls made inside this process, such as self-heal). Locks
	// are held by the pair (Client, LockOwner), and everything a client
	// holds is released through ClientReleaser when it goes away.
	Client string
}

// RootCall returns a Call with root credentials, for a translator's own
// internal work (self-heal, rebalance).
func RootCall() *Call { return &Call{} }
