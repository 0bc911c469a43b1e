package wire

import "fmt"

// The lock family: POSIX locks of applications and the internal inode and
// entry locks of cluster translators.

func errTooLarge(what string, n int64) error {
	return fmt.Errorf("wire: %s of %d bytes exceeds the limit", what, n)
}

func decCmd(d *Dec, r *Request, max uint32, what string) {
	if r.Cmd = d.U32(); r.Cmd > max {
		d.Fail(fmt.Errorf("wire: unknown %s command %d", what, r.Cmd))
	}
}

func decEntryType(d *Dec, r *Request) {
	if r.Type = d.U32(); r.Type > 1 {
		d.Fail(fmt.Errorf("wire: unknown entrylk type %d", r.Type))
	}
}

func init() {
	register(OpLk, codec{
		encReq: func(e *Enc, r *Request) { e.U64(r.FD); e.U32(r.Cmd); e.Flock(&r.Lock) },
		decReq: func(d *Dec, r *Request) { r.FD = d.U64(); decCmd(d, r, 2, "lk"); d.Flock(&r.Lock) },
		encRep: func(e *Enc, r *Reply) { e.Flock(&r.Lock) },
		decRep: func(d *Dec, r *Reply) { d.Flock(&r.Lock) },
	})
	register(OpInodelk, codec{
		encReq: func(e *Enc, r *Request) { e.Str(r.Domain); e.Loc(&r.Loc); e.U32(r.Cmd); e.Flock(&r.Lock) },
		decReq: func(d *Dec, r *Request) {
			r.Domain = d.Str("lock domain", MaxDomain)
			d.Loc(&r.Loc)
			decCmd(d, r, 2, "inodelk")
			d.Flock(&r.Lock)
		},
		encRep: none[Reply], decRep: noneDec[Reply],
	})
	register(OpFinodelk, codec{
		encReq: func(e *Enc, r *Request) { e.Str(r.Domain); e.U64(r.FD); e.U32(r.Cmd); e.Flock(&r.Lock) },
		decReq: func(d *Dec, r *Request) {
			r.Domain = d.Str("lock domain", MaxDomain)
			r.FD = d.U64()
			decCmd(d, r, 2, "finodelk")
			d.Flock(&r.Lock)
		},
		encRep: none[Reply], decRep: noneDec[Reply],
	})
	register(OpEntrylk, codec{
		encReq: func(e *Enc, r *Request) { e.Str(r.Domain); e.Loc(&r.Loc); e.Str(r.Name); e.U32(r.Cmd); e.U32(r.Type) },
		decReq: func(d *Dec, r *Request) {
			r.Domain = d.Str("lock domain", MaxDomain)
			d.Loc(&r.Loc)
			r.Name = d.Str("entry name", MaxName)
			decCmd(d, r, 2, "entrylk")
			decEntryType(d, r)
		},
		encRep: none[Reply], decRep: noneDec[Reply],
	})
	register(OpFentrylk, codec{
		encReq: func(e *Enc, r *Request) { e.Str(r.Domain); e.U64(r.FD); e.Str(r.Name); e.U32(r.Cmd); e.U32(r.Type) },
		decReq: func(d *Dec, r *Request) {
			r.Domain = d.Str("lock domain", MaxDomain)
			r.FD = d.U64()
			r.Name = d.Str("entry name", MaxName)
			decCmd(d, r, 2, "fentrylk")
			decEntryType(d, r)
		},
		encRep: none[Reply], decRep: noneDec[Reply],
	})
}
