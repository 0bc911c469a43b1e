package wire

// The file family: open files and their data.

func encRange(e *Enc, r *Request) { e.U64(r.FD); e.I64(r.Off); e.I64(r.Len) }
func decRange(d *Dec, r *Request) { r.FD = d.U64(); r.Off = d.I64(); r.Len = d.I64() }

func init() {
	// Open's Count is the largest file whose whole contents the client
	// wants with the reply (quick-read; 0: none). The reply's Data, when
	// not nil, is the whole file as it was when it was opened.
	register(OpOpen, codec{
		encReq: func(e *Enc, r *Request) { e.Loc(&r.Loc); e.U32(r.Flags); e.U32(r.Count) },
		decReq: func(d *Dec, r *Request) {
			d.Loc(&r.Loc)
			r.Flags = d.U32()
			if r.Count = d.U32(); r.Count > MaxQuickRead {
				d.Fail(errTooLarge("quick-read", int64(r.Count)))
			}
		},
		encRep: func(e *Enc, r *Reply) {
			e.U64(r.FD)
			encOptStat(e, &r.Stat)
			e.Bool(r.Data != nil)
			if r.Data != nil {
				e.Bytes(r.Data)
			}
			e.Bool(r.NoCaps)
		},
		decRep: func(d *Dec, r *Reply) {
			r.FD = d.U64()
			decOptStat(d, &r.Stat)
			if d.Bool() {
				if r.Data = d.Bytes("quick-read data", MaxQuickRead); r.Data == nil {
					r.Data = []byte{}
				}
			}
			r.NoCaps = d.Bool()
		},
	})
	register(OpCreate, codec{
		encReq: func(e *Enc, r *Request) { e.Loc(&r.Loc); e.U32(r.Flags); e.U32(r.Mode); e.U32(r.Umask) },
		decReq: func(d *Dec, r *Request) { d.Loc(&r.Loc); r.Flags = d.U32(); r.Mode = d.U32(); r.Umask = d.U32() },
		encRep: func(e *Enc, r *Reply) { e.U64(r.FD); encStatParent(e, r); e.Bool(r.NoCaps) },
		decRep: func(d *Dec, r *Reply) { r.FD = d.U64(); decStatParent(d, r); r.NoCaps = d.Bool() },
	})
	register(OpRead, codec{
		encReq: func(e *Enc, r *Request) { e.U64(r.FD); e.I64(r.Off); e.U32(r.Count) },
		decReq: func(d *Dec, r *Request) {
			r.FD = d.U64()
			r.Off = d.I64()
			if r.Count = d.U32(); r.Count > MaxData {
				d.Fail(errTooLarge("read", int64(r.Count)))
			}
		},
		// The data follows as the payload; see ReplyPayload.
		encRep: func(e *Enc, r *Reply) { e.U32(uint32(len(r.Data))) },
		decRep: func(d *Dec, r *Reply) { r.Data = d.Bytes("read data", MaxData); r.N = int64(len(r.Data)) },
	})
	register(OpWrite, codec{
		// The data follows as the payload; see RequestPayload.
		encReq: func(e *Enc, r *Request) { e.U64(r.FD); e.I64(r.Off); e.U32(uint32(len(r.Value))) },
		decReq: func(d *Dec, r *Request) { r.FD = d.U64(); r.Off = d.I64(); r.Value = d.Bytes("write data", MaxData) },
		encRep: encN, decRep: decN,
	})
	register(OpFlush, codec{encFDReq, decFDReq, none[Reply], noneDec[Reply]})
	register(OpFsync, codec{
		encReq: func(e *Enc, r *Request) { e.U64(r.FD); e.Bool(r.Bool) },
		decReq: func(d *Dec, r *Request) { r.FD = d.U64(); r.Bool = d.Bool() },
		encRep: none[Reply], decRep: noneDec[Reply],
	})
	register(OpRelease, codec{encFDReq, decFDReq, none[Reply], noneDec[Reply]})
	register(OpFallocate, codec{
		encReq: func(e *Enc, r *Request) { encRange(e, r); e.U32(r.Flags) },
		decReq: func(d *Dec, r *Request) { decRange(d, r); r.Flags = d.U32() },
		encRep: none[Reply], decRep: noneDec[Reply],
	})
	register(OpDiscard, codec{encRange, decRange, none[Reply], noneDec[Reply]})
	register(OpZerofill, codec{encRange, decRange, none[Reply], noneDec[Reply]})
	register(OpSeek, codec{
		encReq: func(e *Enc, r *Request) { e.U64(r.FD); e.I64(r.Off); e.U32(r.Whence) },
		decReq: func(d *Dec, r *Request) { r.FD = d.U64(); r.Off = d.I64(); r.Whence = d.U32() },
		encRep: encN, decRep: decN,
	})
	register(OpCopyFileRange, codec{
		encReq: func(e *Enc, r *Request) {
			e.U64(r.FD)
			e.I64(r.Off)
			e.U64(r.FD2)
			e.I64(r.Off2)
			e.I64(r.Len)
			e.U32(r.Flags)
		},
		decReq: func(d *Dec, r *Request) {
			r.FD = d.U64()
			r.Off = d.I64()
			r.FD2 = d.U64()
			r.Off2 = d.I64()
			r.Len = d.I64()
			r.Flags = d.U32()
		},
		encRep: encN, decRep: decN,
	})
}
