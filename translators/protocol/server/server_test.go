package server

import (
	"bufio"
	"errors"
	"io"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/loom-fs/loom/translators/protocol/wire"
	_ "github.com/loom-fs/loom/translators/storage/posix"
	"github.com/loom-fs/loom/xlator"
	"github.com/loom-fs/loom/xlator/xlatortest"
)

func TestCheckLoc(t *testing.T) {
	g := xlator.NewGFID()
	good := []xlator.Loc{
		{Path: "/", GFID: xlator.RootGFID},
		{Path: "/a/b", Parent: g, Name: "b"},
		{GFID: g},
		{Parent: g, Name: "x"},
	}
	bad := []xlator.Loc{
		{Path: "/../etc/passwd"},
		{Path: "/a/../../b"},
		{Path: "a/b"},
		{Path: "/a//b"},
		{Path: "/a/./b"},
		{Path: "/a/", Name: "a"},
		{Path: "/a/b", Name: "c"},
		{Parent: g, Name: ".."},
		{Parent: g, Name: "a/b"},
		{},
	}
	for _, l := range good {
		if err := checkLoc(&l); err != nil {
			t.Errorf("%+v refused: %v", l, err)
		}
	}
	for _, l := range bad {
		if err := checkLoc(&l); err == nil {
			t.Errorf("%+v accepted", l)
		}
	}
}

func TestDecide(t *testing.T) {
	lo := netip.MustParseAddr("127.0.0.1")
	far := netip.MustParseAddr("10.1.2.3")
	pol := func(allow, reject []string) *policy { return &policy{allow: allow, reject: reject} }
	cases := []struct {
		name string
		pol  *policy
		p    peer
		ok   bool
	}{
		{"default loopback", pol(nil, nil), peer{addr: lo}, true},
		{"default unix", pol(nil, nil), peer{unix: true}, true},
		{"default remote", pol(nil, nil), peer{addr: far}, false},
		{"wildcard", pol([]string{"10.1.2.*"}, nil), peer{addr: far}, true},
		{"cidr", pol([]string{"10.0.0.0/8"}, nil), peer{addr: far}, true},
		{"not listed", pol([]string{"192.168.0.1"}, nil), peer{addr: far}, false},
		{"reject wins", pol([]string{"*"}, []string{"10.1.*"}), peer{addr: far}, false},
		{"mapped v4", pol([]string{"10.1.2.3"}, nil), peer{addr: netip.MustParseAddr("::ffff:10.1.2.3")}, true},
		{"login ok", &policy{users: []string{"u"}, passwords: map[string]string{"u": "pw"}}, peer{addr: far, username: "u", password: "pw"}, true},
		{"login bad", &policy{users: []string{"u"}, passwords: map[string]string{"u": "pw"}}, peer{addr: far, username: "u", password: "px"}, false},
		{"login and allow", &policy{allow: []string{"127.0.0.1"}, users: []string{"u"}, passwords: map[string]string{"u": "pw"}}, peer{addr: far, username: "u", password: "pw"}, false},
		{"ssl name", &policy{sslAllow: []string{"client*"}}, peer{addr: lo, tls: true, cn: "server"}, false},
	}
	for _, c := range cases {
		if err := c.pol.decide(&c.p); (err == nil) != c.ok {
			t.Errorf("%s: got %v, want ok=%v", c.name, err, c.ok)
		}
	}
}

// rawClient is a hand-driven connection, as a hostile client would make.
type rawClient struct {
	t  *testing.T
	nc net.Conn
	br *bufio.Reader
	id uint64
}

func dialRaw(t *testing.T, s *Server) *rawClient {
	t.Helper()
	nc, err := net.Dial("tcp", s.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	nc.SetDeadline(time.Now().Add(10 * time.Second))
	hello := wire.AppendHello(wire.AppendPreface(nil), &wire.Hello{Subvolume: "brick", Process: "raw"})
	if _, err := nc.Write(hello); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(nc)
	_, body, err := wire.ReadHandshake(br)
	if err != nil {
		t.Fatal(err)
	}
	if rep, err := wire.DecodeHelloReply(body); err != nil || rep.Errno != 0 {
		t.Fatalf("handshake: %+v, %v", rep, err)
	}
	return &rawClient{t: t, nc: nc, br: br}
}

// do sends a request and returns the decoded reply.
func (r *rawClient) do(req *wire.Request) *wire.Reply {
	r.t.Helper()
	r.id++
	buf := wire.AppendRequest(make([]byte, wire.HeaderSize), req)
	buf = append(buf, wire.RequestPayload(req)...)
	(&wire.Header{Len: uint32(len(buf) - wire.HeaderSize), Kind: wire.KindRequest, Op: req.Op, ID: r.id}).Put(buf)
	if _, err := r.nc.Write(buf); err != nil {
		r.t.Fatal(err)
	}
	hb := make([]byte, wire.HeaderSize)
	h, err := wire.ReadHeader(r.br, hb)
	if err != nil {
		r.t.Fatal(err)
	}
	body := make([]byte, h.Len)
	if _, err := io.ReadFull(r.br, body); err != nil {
		r.t.Fatal(err)
	}
	var rep wire.Reply
	if err := wire.DecodeReply(h.Op, body, &rep); err != nil || h.ID != r.id {
		r.t.Fatalf("reply %d to %d: %v", h.ID, r.id, err)
	}
	return &rep
}

func startServer(t *testing.T, brick string) *Server {
	specs := []xlator.VolumeSpec{
		xlatortest.PosixSpec("brick", brick),
		{Name: "server", Type: Type, Subvolumes: []xlator.SubvolumeRef{{Name: "brick"}},
			Options: []xlator.OptionSpec{{Key: keyListenAddress, Value: "127.0.0.1"}, {Key: keyListenPort, Value: "0"}}},
	}
	return xlatortest.Build(t, specs).Top().(*Server)
}

// No request reaches outside the brick; malformed frames end only the
// connection that sent them.
func TestHostileClient(t *testing.T) {
	brick := t.TempDir()
	os.WriteFile(filepath.Join(brick, "inside"), []byte("ok"), 0o644)
	s := startServer(t, brick)
	r := dialRaw(t, s)
	root := &wire.Request{Op: wire.OpLookup, Loc: *xlator.RootLoc()}
	if rep := r.do(root); rep.Errno != 0 {
		t.Fatalf("lookup /: %v", rep.Errno)
	}
	for _, loc := range []xlator.Loc{
		{Path: "/../../../../etc/passwd", Parent: xlator.RootGFID, Name: "passwd"},
		{Path: "/../etc", Parent: xlator.RootGFID, Name: "etc"},
		{Parent: xlator.RootGFID, Name: ".."},
		{Path: "/etc/passwd", Name: "passwd"},
	} {
		for _, op := range []wire.Op{wire.OpLookup, wire.OpOpen, wire.OpGetxattr, wire.OpReadlink} {
			rep := r.do(&wire.Request{Op: op, Loc: loc, Name: "user.x"})
			if rep.Errno == 0 {
				t.Errorf("%s of %+v succeeded", op, loc)
			}
		}
	}
	// An open file id the client never got is EBADF.
	if rep := r.do(&wire.Request{Op: wire.OpRead, FD: 12345, Count: 10}); rep.Errno != syscall.EBADF {
		t.Errorf("read of an unknown fd: %v", rep.Errno)
	}

	// A frame over the limit ends that connection...
	bad := make([]byte, wire.HeaderSize)
	for i := range bad {
		bad[i] = 0xff
	}
	r.nc.Write(bad)
	if _, err := r.br.ReadByte(); !errors.Is(err, io.EOF) && !errors.Is(err, syscall.ECONNRESET) {
		t.Errorf("after a malformed header the connection is still open: %v", err)
	}
	// ...and only that one.
	r2 := dialRaw(t, s)
	if rep := r2.do(root); rep.Errno != 0 {
		t.Fatalf("lookup / on a second connection: %v", rep.Errno)
	}
}
