package wire

import (
	"fmt"
	"syscall"

	"github.com/loom-fs/loom/xlator"
)

// Request is one fop call as it crosses the wire. It is a union: each op
// uses the fields its fop takes (the codec file of the op's family says
// which) and leaves the others zero. FD and FD2 are the server's handles
// of open files, returned by open, create and opendir.
type Request struct {
	Op     Op
	Call   xlator.Call // without Client: the server sets it
	Loc    xlator.Loc
	Loc2   xlator.Loc // rename and link: the new name
	FD     uint64
	FD2    uint64 // copy_file_range: the output file
	Mode   uint32
	Umask  uint32
	Rdev   uint64
	Size   uint64 // truncate
	Off    int64
	Off2   int64 // copy_file_range: the output offset
	Len    int64
	Flags  uint32 // open, rename, setxattr, fallocate (mode), copy_file_range flags; access mask
	Whence uint32 // seek
	Count  uint32 // read length, readdir size
	Bool   bool   // fsync/fsyncdir datasync, readdir plus
	Name   string // xattr name, entrylk basename
	Target string // symlink target
	Domain string // inodelk and entrylk domain
	Value  []byte // write data, xattr value (aliases the frame when decoded)
	XData  xlator.XData
	Attr   xlator.SetAttr
	Lock   xlator.Flock
	Cmd    uint32 // LkCmd, EntrylkCmd or XattropOp
	Type   uint32 // EntrylkType
}

// Reply is the answer to a request: an errno, and when it is 0 the
// results the op returns (a union like Request).
type Reply struct {
	Errno syscall.Errno
	Stat  xlator.Stat
	// Stat is also the opened file's attributes in an open reply (a zero
	// GFID: the server did not send them).
	//
	// Parent is the parent directory's attributes after an entry op
	// (create, mknod, mkdir, symlink, link, unlink, rmdir), when the
	// server could read them; a zero GFID means it did not send them.
	Parent  xlator.Stat
	XData   xlator.XData
	FD      uint64
	N       int64  // read and write counts, seek offset, copied bytes
	Data    []byte // read data, xattr value, readlink target
	Names   []string
	Entries []xlator.DirEntry
	StatFS  xlator.StatFS
	Lock    xlator.Flock
	// NoCaps, in a create or open reply, says the server found no
	// security.capability xattr on the file just after opening it for
	// writing (the kernel asks for it before every write).
	NoCaps bool
	// EOF, in a readdir reply, says the directory has no entries after
	// these: the server read it to its end.
	EOF bool
}

// codec encodes and decodes one op's request and reply bodies (the reply
// body after the errno). Each family file fills the table for its ops.
type codec struct {
	encReq func(e *Enc, r *Request)
	decReq func(d *Dec, r *Request)
	encRep func(e *Enc, r *Reply)
	decRep func(d *Dec, r *Reply)
}

var codecs [opEnd]codec

// register installs the codec of op; families call it from init.
func register(op Op, c codec) {
	if codecs[op].encReq != nil {
		panic(fmt.Sprintf("wire: codec of %s registered twice", op))
	}
	codecs[op] = c
}

// AppendRequest appends the body of r to b. For a write, the data itself
// is not appended: only its length is, and the caller sends Payload(r)
// right after the body (so the caller's buffer goes to the socket as it
// is).
func AppendRequest(b []byte, r *Request) []byte {
	e := Enc{B: b}
	e.Call(&r.Call)
	codecs[r.Op].encReq(&e, r)
	return e.B
}

// RequestPayload returns the bytes sent after a request body: a write's data.
func RequestPayload(r *Request) []byte {
	if r.Op == OpWrite {
		return r.Value
	}
	return nil
}

// DecodeRequest decodes the body of a request frame for op into r. Byte
// slices in r alias body.
func DecodeRequest(op Op, body []byte, r *Request) error {
	if !op.Valid() {
		return fmt.Errorf("wire: unknown op %d", uint8(op))
	}
	*r = Request{Op: op}
	d := NewDec(body)
	d.Call(&r.Call)
	codecs[op].decReq(d, r)
	if err := d.Done(); err != nil {
		return fmt.Errorf("%s request: %w", op, err)
	}
	return nil
}

// AppendReply appends the body of the reply to a request of op. For a
// successful read, the data is not appended (only its length): the caller
// sends ReplyPayload right after.
func AppendReply(b []byte, op Op, r *Reply) []byte {
	e := Enc{B: b}
	e.U32(uint32(r.Errno))
	if r.Errno == 0 {
		codecs[op].encRep(&e, r)
	}
	return e.B
}

// ReplyPayload returns the bytes sent after a reply body: a read's data.
func ReplyPayload(op Op, r *Reply) []byte {
	if op == OpRead && r.Errno == 0 {
		return r.Data
	}
	return nil
}

// maxErrno bounds the errno numbers a reply may carry.
const maxErrno = 4095

// DecodeReply decodes the body of a reply frame to a request of op. Byte
// slices in r alias body.
func DecodeReply(op Op, body []byte, r *Reply) error {
	if !op.Valid() {
		return fmt.Errorf("wire: unknown op %d", uint8(op))
	}
	*r = Reply{}
	d := NewDec(body)
	r.Errno = DecodeErrno(d)
	if r.Errno == 0 {
		codecs[op].decRep(d, r)
	}
	if err := d.Done(); err != nil {
		return fmt.Errorf("%s reply: %w", op, err)
	}
	return nil
}

// DecodeErrno reads a reply's errno and checks its range.
func DecodeErrno(d *Dec) syscall.Errno {
	n := d.U32()
	if n > maxErrno {
		d.Fail(fmt.Errorf("wire: errno %d out of range", n))
		return syscall.EIO
	}
	return syscall.Errno(n)
}

// none encodes nothing: for requests and replies without fields.
func none[T any](*Enc, *T) {}

// noneDec decodes nothing.
func noneDec[T any](*Dec, *T) {}

func encStat(e *Enc, r *Reply) { e.Stat(&r.Stat) }
func decStat(d *Dec, r *Reply) { d.Stat(&r.Stat) }

// encOptStat appends an optional Stat: a bool, then the Stat when it is
// true (a zero GFID means absent).
func encOptStat(e *Enc, st *xlator.Stat) {
	e.Bool(!st.GFID.IsZero())
	if !st.GFID.IsZero() {
		e.Stat(st)
	}
}

// decOptStat reads what encOptStat wrote.
func decOptStat(d *Dec, st *xlator.Stat) {
	if d.Bool() {
		d.Stat(st)
	}
}

// encParent appends the optional parent attributes of an entry op.
func encParent(e *Enc, r *Reply) { encOptStat(e, &r.Parent) }

// decParent reads what encParent wrote.
func decParent(d *Dec, r *Reply) { decOptStat(d, &r.Parent) }

func encStatParent(e *Enc, r *Reply) { e.Stat(&r.Stat); encParent(e, r) }
func decStatParent(d *Dec, r *Reply) { d.Stat(&r.Stat); decParent(d, r) }
func encFDRep(e *Enc, r *Reply)      { e.U64(r.FD) }
func decFDRep(d *Dec, r *Reply)      { r.FD = d.U64() }
func encN(e *Enc, r *Reply)          { e.I64(r.N) }
func decN(d *Dec, r *Reply)          { r.N = d.I64() }
func encLocReq(e *Enc, r *Request)   { e.Loc(&r.Loc) }
func decLocReq(d *Dec, r *Request)   { d.Loc(&r.Loc) }
func encFDReq(e *Enc, r *Request)    { e.U64(r.FD) }
func decFDReq(d *Dec, r *Request)    { r.FD = d.U64() }
