package wire

import "github.com/loom-fs/loom/xlator"

// The directory family: open directories and their entries.

func init() {
	register(OpOpendir, codec{encLocReq, decLocReq, encFDRep, decFDRep})
	register(OpReaddir, codec{
		encReq: func(e *Enc, r *Request) { e.U64(r.FD); e.U64(uint64(r.Off)); e.U32(r.Count); e.Bool(r.Bool) },
		decReq: func(d *Dec, r *Request) {
			r.FD = d.U64()
			r.Off = int64(d.U64())
			if r.Count = d.U32(); r.Count > MaxReaddirSize {
				d.Fail(errTooLarge("readdir", int64(r.Count)))
			}
			r.Bool = d.Bool()
		},
		encRep: func(e *Enc, r *Reply) {
			e.U32(uint32(len(r.Entries)))
			for i := range r.Entries {
				e.DirEntry(&r.Entries[i])
			}
			e.Bool(r.EOF)
		},
		decRep: func(d *Dec, r *Reply) {
			// An entry takes at least 4+8+4+8+1 bytes.
			n := d.Count("directory entries", MaxDirEntries, 25)
			if n > 0 {
				r.Entries = make([]xlator.DirEntry, n)
				for i := range r.Entries {
					d.DirEntry(&r.Entries[i])
				}
			}
			r.EOF = d.Bool()
		},
	})
	register(OpFsyncdir, codec{
		encReq: func(e *Enc, r *Request) { e.U64(r.FD); e.Bool(r.Bool) },
		decReq: func(d *Dec, r *Request) { r.FD = d.U64(); r.Bool = d.Bool() },
		encRep: none[Reply], decRep: noneDec[Reply],
	})
	register(OpReleasedir, codec{encFDReq, decFDReq, none[Reply], noneDec[Reply]})
}
