package wire

// The inode family: fops that read or change one inode's attributes.

func init() {
	register(OpLookup, codec{
		encReq: func(e *Enc, r *Request) { e.Loc(&r.Loc); e.XData(r.XData) },
		decReq: func(d *Dec, r *Request) { d.Loc(&r.Loc); r.XData = d.XData() },
		encRep: func(e *Enc, r *Reply) { e.Stat(&r.Stat); e.XData(r.XData) },
		decRep: func(d *Dec, r *Reply) { d.Stat(&r.Stat); r.XData = d.XData() },
	})
	register(OpStat, codec{encLocReq, decLocReq, encStat, decStat})
	register(OpFstat, codec{encFDReq, decFDReq, encStat, decStat})
	register(OpSetattr, codec{
		encReq: func(e *Enc, r *Request) { e.Loc(&r.Loc); e.SetAttr(&r.Attr) },
		decReq: func(d *Dec, r *Request) { d.Loc(&r.Loc); d.SetAttr(&r.Attr) },
		encRep: encStat, decRep: decStat,
	})
	register(OpFsetattr, codec{
		encReq: func(e *Enc, r *Request) { e.U64(r.FD); e.SetAttr(&r.Attr) },
		decReq: func(d *Dec, r *Request) { r.FD = d.U64(); d.SetAttr(&r.Attr) },
		encRep: encStat, decRep: decStat,
	})
	register(OpTruncate, codec{
		encReq: func(e *Enc, r *Request) { e.Loc(&r.Loc); e.U64(r.Size) },
		decReq: func(d *Dec, r *Request) { d.Loc(&r.Loc); r.Size = d.U64() },
		encRep: encStat, decRep: decStat,
	})
	register(OpFtruncate, codec{
		encReq: func(e *Enc, r *Request) { e.U64(r.FD); e.U64(r.Size) },
		decReq: func(d *Dec, r *Request) { r.FD = d.U64(); r.Size = d.U64() },
		encRep: encStat, decRep: decStat,
	})
	register(OpAccess, codec{
		encReq: func(e *Enc, r *Request) { e.Loc(&r.Loc); e.U32(r.Flags) },
		decReq: func(d *Dec, r *Request) { d.Loc(&r.Loc); r.Flags = d.U32() },
		encRep: none[Reply], decRep: noneDec[Reply],
	})
	register(OpReadlink, codec{
		encReq: encLocReq, decReq: decLocReq,
		encRep: func(e *Enc, r *Reply) { e.Bytes(r.Data) },
		decRep: func(d *Dec, r *Reply) { r.Data = d.Bytes("link target", MaxPath) },
	})
	register(OpStatfs, codec{
		encReq: encLocReq, decReq: decLocReq,
		encRep: func(e *Enc, r *Reply) { e.StatFS(&r.StatFS) },
		decRep: func(d *Dec, r *Reply) { d.StatFS(&r.StatFS) },
	})
}
