package wire

// The entry family: fops that add, remove or move names in directories.

func init() {
	register(OpMknod, codec{
		encReq: func(e *Enc, r *Request) { e.Loc(&r.Loc); e.U32(r.Mode); e.U64(r.Rdev); e.U32(r.Umask) },
		decReq: func(d *Dec, r *Request) { d.Loc(&r.Loc); r.Mode = d.U32(); r.Rdev = d.U64(); r.Umask = d.U32() },
		encRep: encStatParent, decRep: decStatParent,
	})
	register(OpMkdir, codec{
		encReq: func(e *Enc, r *Request) { e.Loc(&r.Loc); e.U32(r.Mode); e.U32(r.Umask) },
		decReq: func(d *Dec, r *Request) { d.Loc(&r.Loc); r.Mode = d.U32(); r.Umask = d.U32() },
		encRep: encStatParent, decRep: decStatParent,
	})
	register(OpUnlink, codec{encLocReq, decLocReq, encParent, decParent})
	register(OpRmdir, codec{encLocReq, decLocReq, encParent, decParent})
	register(OpSymlink, codec{
		encReq: func(e *Enc, r *Request) { e.Str(r.Target); e.Loc(&r.Loc); e.U32(r.Umask) },
		decReq: func(d *Dec, r *Request) {
			r.Target = d.Str("symlink target", MaxPath)
			d.Loc(&r.Loc)
			r.Umask = d.U32()
		},
		encRep: encStatParent, decRep: decStatParent,
	})
	register(OpRename, codec{
		encReq: func(e *Enc, r *Request) { e.Loc(&r.Loc); e.Loc(&r.Loc2); e.U32(r.Flags) },
		decReq: func(d *Dec, r *Request) { d.Loc(&r.Loc); d.Loc(&r.Loc2); r.Flags = d.U32() },
		encRep: none[Reply], decRep: noneDec[Reply],
	})
	register(OpLink, codec{
		encReq: func(e *Enc, r *Request) { e.Loc(&r.Loc); e.Loc(&r.Loc2) },
		decReq: func(d *Dec, r *Request) { d.Loc(&r.Loc); d.Loc(&r.Loc2) },
		encRep: encStatParent, decRep: decStatParent,
	})
}
