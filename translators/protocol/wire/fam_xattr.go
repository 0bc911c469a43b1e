package wire

// The xattr family: extended attributes by path and by fd, and the
// atomic xattrop of replicate's changelog.

func encSet(e *Enc, r *Request) { e.Str(r.Name); e.Bytes(r.Value); e.U32(r.Flags) }
func decSet(d *Dec, r *Request) {
	r.Name = d.Str("xattr name", MaxXattrName)
	r.Value = d.Bytes("xattr value", MaxXattrValue)
	r.Flags = d.U32()
}

func encValue(e *Enc, r *Reply) { e.Bytes(r.Data) }
func decValue(d *Dec, r *Reply) { r.Data = d.Bytes("xattr value", MaxXattrValue) }

func encNames(e *Enc, r *Reply) {
	e.U32(uint32(len(r.Names)))
	for _, n := range r.Names {
		e.Str(n)
	}
}

func decNames(d *Dec, r *Reply) {
	n := d.Count("xattr names", MaxXattrList, 4)
	if n == 0 {
		return
	}
	r.Names = make([]string, n)
	for i := range r.Names {
		r.Names[i] = d.Str("xattr name", MaxXattrName)
	}
}

func encXattrop(e *Enc, r *Request) { e.U32(r.Cmd); e.XData(r.XData) }
func decXattrop(d *Dec, r *Request) { r.Cmd = d.U32(); r.XData = d.XData() }

func encXRep(e *Enc, r *Reply) { e.XData(r.XData) }
func decXRep(d *Dec, r *Reply) { r.XData = d.XData() }

func init() {
	register(OpSetxattr, codec{
		encReq: func(e *Enc, r *Request) { e.Loc(&r.Loc); encSet(e, r) },
		decReq: func(d *Dec, r *Request) { d.Loc(&r.Loc); decSet(d, r) },
		encRep: none[Reply], decRep: noneDec[Reply],
	})
	register(OpFsetxattr, codec{
		encReq: func(e *Enc, r *Request) { e.U64(r.FD); encSet(e, r) },
		decReq: func(d *Dec, r *Request) { r.FD = d.U64(); decSet(d, r) },
		encRep: none[Reply], decRep: noneDec[Reply],
	})
	register(OpGetxattr, codec{
		encReq: func(e *Enc, r *Request) { e.Loc(&r.Loc); e.Str(r.Name) },
		decReq: func(d *Dec, r *Request) { d.Loc(&r.Loc); r.Name = d.Str("xattr name", MaxXattrName) },
		encRep: encValue, decRep: decValue,
	})
	register(OpFgetxattr, codec{
		encReq: func(e *Enc, r *Request) { e.U64(r.FD); e.Str(r.Name) },
		decReq: func(d *Dec, r *Request) { r.FD = d.U64(); r.Name = d.Str("xattr name", MaxXattrName) },
		encRep: encValue, decRep: decValue,
	})
	register(OpListxattr, codec{encLocReq, decLocReq, encNames, decNames})
	register(OpFlistxattr, codec{encFDReq, decFDReq, encNames, decNames})
	register(OpRemovexattr, codec{
		encReq: func(e *Enc, r *Request) { e.Loc(&r.Loc); e.Str(r.Name) },
		decReq: func(d *Dec, r *Request) { d.Loc(&r.Loc); r.Name = d.Str("xattr name", MaxXattrName) },
		encRep: none[Reply], decRep: noneDec[Reply],
	})
	register(OpFremovexattr, codec{
		encReq: func(e *Enc, r *Request) { e.U64(r.FD); e.Str(r.Name) },
		decReq: func(d *Dec, r *Request) { r.FD = d.U64(); r.Name = d.Str("xattr name", MaxXattrName) },
		encRep: none[Reply], decRep: noneDec[Reply],
	})
	register(OpXattrop, codec{
		encReq: func(e *Enc, r *Request) { e.Loc(&r.Loc); encXattrop(e, r) },
		decReq: func(d *Dec, r *Request) { d.Loc(&r.Loc); decXattrop(d, r) },
		encRep: encXRep, decRep: decXRep,
	})
	register(OpFxattrop, codec{
		encReq: func(e *Enc, r *Request) { e.U64(r.FD); encXattrop(e, r) },
		decReq: func(d *Dec, r *Request) { r.FD = d.U64(); decXattrop(d, r) },
		encRep: encXRep, decRep: decXRep,
	})
}
