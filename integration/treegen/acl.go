package treegen

import "encoding/binary"

// ACL entry tags, as in the kernel's posix_acl_xattr format.
const (
	ACLUserObj  = 0x01
	ACLUser     = 0x02
	ACLGroupObj = 0x04
	ACLGroup    = 0x08
	ACLMask     = 0x10
	ACLOther    = 0x20
)

// ACLEntry is one entry of a POSIX ACL.
type ACLEntry struct {
	Tag  uint16
	Perm uint16 // rwx as 4, 2, 1
	ID   uint32 // uid or gid for ACLUser and ACLGroup
}

// ACL encodes entries (sorted by tag, then id, as the kernel requires)
// as the value of system.posix_acl_access or system.posix_acl_default.
func ACL(entries []ACLEntry) []byte {
	const undefinedID = 0xffffffff
	b := make([]byte, 4, 4+8*len(entries))
	binary.LittleEndian.PutUint32(b, 2) // POSIX_ACL_XATTR_VERSION
	for _, e := range entries {
		id := e.ID
		if e.Tag != ACLUser && e.Tag != ACLGroup {
			id = undefinedID
		}
		b = binary.LittleEndian.AppendUint16(b, e.Tag)
		b = binary.LittleEndian.AppendUint16(b, e.Perm)
		b = binary.LittleEndian.AppendUint32(b, id)
	}
	return b
}
