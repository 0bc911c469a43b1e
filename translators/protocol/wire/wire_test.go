package wire

import (
	"bytes"
	"reflect"
	"syscall"
	"testing"

	"github.com/loom-fs/loom/xlator"
)

// fullRequest returns a request for op with every field set to a value
// that differs from the zero value.
func fullRequest(op Op) *Request {
	g := xlator.NewGFID()
	return &Request{
		Op:   op,
		Call: xlator.Call{UID: 1000, GID: 100, PID: 4242, LockOwner: 0xdeadbeefcafe, Groups: []uint32{100, 4, 27}},
		Loc:  xlator.Loc{Path: "/dir/name", GFID: g, Parent: xlator.RootGFID, Name: "name"},
		Loc2: xlator.Loc{Path: "/other", Parent: xlator.RootGFID, Name: "other"},
		FD:   7, FD2: 9, Mode: 0o100644, Umask: 0o022, Rdev: 0x0801, Size: 1 << 40,
		Off: 4096, Off2: 8192, Len: 65536, Flags: 2, Whence: 3, Count: 131072, Bool: true,
		Name: "user.key", Target: "../target", Domain: "replicate",
		Value: []byte("some value"),
		XData: xlator.XData{"loom.gfid": g[:], "loom.pending.a": {0, 0, 0, 1}},
		Attr: xlator.SetAttr{Valid: xlator.SetMode | xlator.SetMtime, Mode: 0o755, UID: 5, GID: 6,
			Atime: xlator.Timespec{Sec: 1, Nsec: 2}, Mtime: xlator.Timespec{Sec: 3, Nsec: 4}},
		Lock: xlator.Flock{Type: xlator.WriteLock, Start: 10, Len: 20, PID: 77, Owner: 88},
		Cmd:  1, Type: 1,
	}
}

// fullReply returns a successful reply with every field set.
func fullReply() *Reply {
	st := xlator.Stat{GFID: xlator.NewGFID(), Dev: 1, Ino: 2, Mode: 0o100600, Nlink: 3, UID: 4, GID: 5,
		Rdev: 6, Size: 7, Blocks: 8, Blksize: 4096, Atime: xlator.Timespec{Sec: 9, Nsec: 10},
		Mtime: xlator.Timespec{Sec: 11, Nsec: 12}, Ctime: xlator.Timespec{Sec: 13, Nsec: 999999999}}
	parent := st
	parent.GFID, parent.Mode, parent.Size = xlator.NewGFID(), 0o040755, 4096
	return &Reply{
		Stat: st, Parent: parent, XData: xlator.XData{"loom.gfid-assigned": {1}}, FD: 42, N: 1234,
		Data:  []byte("payload bytes"),
		Names: []string{"user.a", "security.selinux"},
		Entries: []xlator.DirEntry{{Name: ".", Ino: 1, Type: 0o040000, Off: 1},
			{Name: "f", Ino: 5, Type: 0o100000, Off: 2, HasStat: true, Stat: st}},
		StatFS: xlator.StatFS{Bsize: 4096, Frsize: 4096, Blocks: 1, Bfree: 2, Bavail: 3, Files: 4, Ffree: 5, NameLen: 255},
		Lock:   xlator.Flock{Type: xlator.ReadLock, Start: 1, Len: 2, PID: 3, Owner: 4},
		NoCaps: true,
	}
}

// encodeRequest is the whole body as it goes on the wire (payload too).
func encodeRequest(r *Request) []byte {
	return append(AppendRequest(nil, r), RequestPayload(r)...)
}

func encodeReply(op Op, r *Reply) []byte {
	return append(AppendReply(nil, op, r), ReplyPayload(op, r)...)
}

func TestRequestRoundTripEveryOp(t *testing.T) {
	for _, op := range Ops() {
		t.Run(op.String(), func(t *testing.T) {
			in := fullRequest(op)
			body := encodeRequest(in)
			var out Request
			if err := DecodeRequest(op, body, &out); err != nil {
				t.Fatalf("decode: %v", err)
			}
			if !reflect.DeepEqual(out.Call, in.Call) {
				t.Errorf("call: got %+v, want %+v", out.Call, in.Call)
			}
			if again := encodeRequest(&out); !bytes.Equal(again, body) {
				t.Errorf("re-encoding the decoded request differs:\n got %x\nwant %x", again, body)
			}
			checkTruncations(t, body, func(b []byte) error { var r Request; return DecodeRequest(op, b, &r) })
		})
	}
}

// checkTruncations checks that every proper prefix of body and body with a
// byte added fail to decode.
func checkTruncations(t *testing.T, body []byte, decode func([]byte) error) {
	t.Helper()
	for n := 0; n < len(body); n++ {
		if err := decode(body[:n]); err == nil {
			t.Errorf("a body truncated to %d of %d bytes decoded without error", n, len(body))
			return
		}
	}
	if err := decode(append(append([]byte(nil), body...), 0)); err == nil {
		t.Errorf("a body with a trailing byte decoded without error")
	}
}

// The fields each op's reply must carry, checked after a round trip.
func TestReplyRoundTripEveryOp(t *testing.T) {
	for _, op := range Ops() {
		t.Run(op.String(), func(t *testing.T) {
			in := fullReply()
			body := encodeReply(op, in)
			var out Reply
			if err := DecodeReply(op, body, &out); err != nil {
				t.Fatalf("decode: %v", err)
			}
			if again := encodeReply(op, &out); !bytes.Equal(again, body) {
				t.Errorf("re-encoding the decoded reply differs:\n got %x\nwant %x", again, body)
			}
			checkTruncations(t, body, func(b []byte) error { var r Reply; return DecodeReply(op, b, &r) })

			// An error reply is the errno alone.
			e := &Reply{Errno: syscall.ENOENT, Stat: in.Stat}
			eb := encodeReply(op, e)
			if len(eb) != 4 {
				t.Errorf("error reply is %d bytes, want 4", len(eb))
			}
			if err := DecodeReply(op, eb, &out); err != nil || out.Errno != syscall.ENOENT || out.Stat != (xlator.Stat{}) {
				t.Errorf("error reply decoded as %+v, %v", out, err)
			}
		})
	}
}

// Spot checks that the results each family promises arrive.
func TestReplyFields(t *testing.T) {
	in := fullReply()
	check := func(op Op, want func(*Reply) bool) {
		t.Helper()
		var out Reply
		if err := DecodeReply(op, encodeReply(op, in), &out); err != nil || !want(&out) {
			t.Errorf("%s: reply %+v (%v)", op, out, err)
		}
	}
	check(OpLookup, func(r *Reply) bool { return r.Stat == in.Stat && reflect.DeepEqual(r.XData, in.XData) })
	check(OpCreate, func(r *Reply) bool { return r.Stat == in.Stat && r.FD == in.FD && r.Parent == in.Parent })
	for _, op := range []Op{OpMknod, OpMkdir, OpSymlink, OpLink} {
		check(op, func(r *Reply) bool { return r.Stat == in.Stat && r.Parent == in.Parent })
	}
	for _, op := range []Op{OpUnlink, OpRmdir} {
		check(op, func(r *Reply) bool { return r.Parent == in.Parent })
	}
	// Without the parent's attributes (the server could not read them).
	noParent := *in
	noParent.Parent = xlator.Stat{}
	var out Reply
	if err := DecodeReply(OpUnlink, encodeReply(OpUnlink, &noParent), &out); err != nil || out.Parent != (xlator.Stat{}) {
		t.Errorf("unlink without parent: reply %+v (%v)", out, err)
	}
	check(OpOpen, func(r *Reply) bool { return r.FD == in.FD && r.Stat == in.Stat })
	check(OpRead, func(r *Reply) bool { return bytes.Equal(r.Data, in.Data) && r.N == int64(len(in.Data)) })
	check(OpWrite, func(r *Reply) bool { return r.N == in.N })
	check(OpReaddir, func(r *Reply) bool { return reflect.DeepEqual(r.Entries, in.Entries) })
	check(OpStatfs, func(r *Reply) bool { return r.StatFS == in.StatFS })
	check(OpListxattr, func(r *Reply) bool { return reflect.DeepEqual(r.Names, in.Names) })
	check(OpGetxattr, func(r *Reply) bool { return bytes.Equal(r.Data, in.Data) })
	check(OpLk, func(r *Reply) bool { return r.Lock == in.Lock })
	check(OpXattrop, func(r *Reply) bool { return reflect.DeepEqual(r.XData, in.XData) })
}

func TestRequestFields(t *testing.T) {
	in := fullRequest(0)
	check := func(op Op, want func(*Request) bool) {
		t.Helper()
		in.Op = op
		var out Request
		if err := DecodeRequest(op, encodeRequest(in), &out); err != nil || !want(&out) {
			t.Errorf("%s: request %+v (%v)", op, out, err)
		}
	}
	check(OpMknod, func(r *Request) bool {
		return r.Loc == in.Loc && r.Mode == in.Mode && r.Rdev == in.Rdev && r.Umask == in.Umask
	})
	check(OpRename, func(r *Request) bool { return r.Loc == in.Loc && r.Loc2 == in.Loc2 && r.Flags == in.Flags })
	check(OpWrite, func(r *Request) bool { return r.FD == in.FD && r.Off == in.Off && bytes.Equal(r.Value, in.Value) })
	check(OpCopyFileRange, func(r *Request) bool {
		return r.FD == in.FD && r.FD2 == in.FD2 && r.Off == in.Off && r.Off2 == in.Off2 && r.Len == in.Len && r.Flags == in.Flags
	})
	check(OpSetattr, func(r *Request) bool { return r.Attr == in.Attr })
	check(OpInodelk, func(r *Request) bool { return r.Domain == in.Domain && r.Lock == in.Lock && r.Cmd == in.Cmd })
	check(OpFentrylk, func(r *Request) bool { return r.Name == in.Name && r.Type == in.Type && r.FD == in.FD })
	check(OpSymlink, func(r *Request) bool { return r.Target == in.Target && r.Umask == in.Umask })
	check(OpLookup, func(r *Request) bool { return reflect.DeepEqual(r.XData, in.XData) })
}

func TestHeader(t *testing.T) {
	h := Header{Len: 100, Kind: KindRequest, Op: OpWrite, ID: 1 << 60}
	var b [HeaderSize]byte
	h.Put(b[:])
	got, err := ParseHeader(b[:])
	if err != nil || got != h {
		t.Fatalf("header round trip: %+v, %v", got, err)
	}
	bad := []Header{
		{Len: MaxFrame + 1, Kind: KindRequest, Op: OpStat},
		{Kind: KindRequest, Op: 0},
		{Kind: KindReply, Op: opEnd},
		{Kind: 99},
		{Kind: KindPing, Len: 1},
	}
	for _, h := range bad {
		h.Put(b[:])
		if _, err := ParseHeader(b[:]); err == nil {
			t.Errorf("header %+v accepted", h)
		}
	}
}

func TestHandshake(t *testing.T) {
	h := &Hello{Subvolume: "brick", Username: "u", Password: "p", Process: "host:1"}
	buf := AppendPreface(nil)
	buf = AppendHello(buf, h)
	v, body, err := ReadHandshake(bytes.NewReader(buf))
	if err != nil || v != Version {
		t.Fatalf("read handshake: %v, %v", v, err)
	}
	got, err := DecodeHello(body)
	if err != nil || *got != *h {
		t.Fatalf("hello: %+v, %v", got, err)
	}
	r := &HelloReply{Errno: syscall.EACCES, Message: "no", Server: "srv"}
	_, body, err = ReadHandshake(bytes.NewReader(AppendHelloReply(AppendPreface(nil), r)))
	if err != nil {
		t.Fatal(err)
	}
	if gr, err := DecodeHelloReply(body); err != nil || *gr != *r {
		t.Fatalf("hello reply: %+v, %v", gr, err)
	}
	// A TLS ClientHello and garbage are told apart from a Loom preface.
	if _, _, err := ReadHandshake(bytes.NewReader([]byte{0x16, 0x03, 0x01, 0, 0x80, 1, 0, 0, 0})); err != ErrPeerSpeaksTLS {
		t.Errorf("TLS record: %v", err)
	}
	if _, _, err := ReadHandshake(bytes.NewReader([]byte("GET / HTTP/1.1\r\n"))); err != ErrNotLoom {
		t.Errorf("HTTP: %v", err)
	}
	// A huge length is refused before anything is allocated.
	huge := append(AppendPreface(nil), 0xff, 0xff, 0xff, 0x7f)
	if _, _, err := ReadHandshake(bytes.NewReader(huge)); err == nil {
		t.Errorf("huge handshake accepted")
	}
}

// Lengths beyond the limits are refused even when the bytes are there.
func TestLimits(t *testing.T) {
	r := fullRequest(OpSetxattr)
	r.Value = make([]byte, MaxXattrValue+1)
	var out Request
	if err := DecodeRequest(OpSetxattr, encodeRequest(r), &out); err == nil {
		t.Error("an xattr value over the limit was accepted")
	}
	r = fullRequest(OpLookup)
	r.Loc.Name = string(make([]byte, MaxName+1))
	if err := DecodeRequest(OpLookup, encodeRequest(r), &out); err == nil {
		t.Error("a name over NAME_MAX was accepted")
	}
	r = fullRequest(OpLookup)
	r.Loc.Path = "/a\x00b"
	if err := DecodeRequest(OpLookup, encodeRequest(r), &out); err == nil {
		t.Error("a path with NUL was accepted")
	}
	// A group count that claims more than the body holds.
	var e Enc
	e.U32(0)
	e.U32(0)
	e.U32(0)
	e.U64(0)
	e.U32(MaxGroups)
	if err := DecodeRequest(OpStatfs, e.B, &out); err == nil {
		t.Error("a group count larger than the body was accepted")
	}
}
