package client

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/loom-fs/loom/translators/protocol/transport"
	"github.com/loom-fs/loom/translators/protocol/wire"
	"github.com/loom-fs/loom/xlator"
)

// session is one established connection to the server. Requests are
// written by the calling goroutines (one frame at a time); one reader
// goroutine matches replies to their requests by id, in any order.
type session struct {
	nc   net.Conn
	br   *bufio.Reader
	gen  uint64 // the client's connection generation; fds opened on it carry it
	addr string

	wmu transport.FrameWriter // one frame at a time on the socket, gathered under load

	mu      sync.Mutex
	pending map[uint64]*pending
	nextID  uint64
	err     error // why it ended, once dead is closed

	dead     chan struct{}
	lastRecv atomic.Int64 // unix nanoseconds of the last frame received

	// dataGen is the client's count of requests sent that may change a
	// file's data (quickread.go): bumped before such a request is sent.
	dataGen *atomic.Uint64
	// modGen is the client's count of requests sent that may change
	// attributes or entries (readdirahead.go), bumped before sending.
	modGen *atomic.Uint64

	flushTimer *time.Timer // writes deferred one-way frames (flushDeferred)
	flushArmed atomic.Bool // flushTimer is set to fire
}

// pending is a request waiting for its reply.
type pending struct {
	op   wire.Op
	dest []byte // a read's destination: the reply's data goes straight here
	done chan struct{}
	rep  wire.Reply
	err  error
}

// finish hands the completed request to its waiter.
func (p *pending) finish() {
	close(p.done)
}

func newSession(nc net.Conn, br *bufio.Reader, gen uint64, addr string, dataGen, modGen *atomic.Uint64) *session {
	s := &session{nc: nc, br: br, gen: gen, addr: addr, pending: map[uint64]*pending{}, dead: make(chan struct{}), dataGen: dataGen, modGen: modGen}
	s.flushTimer = time.AfterFunc(time.Hour, s.flushDeferred)
	s.flushTimer.Stop()
	s.lastRecv.Store(time.Now().UnixNano())
	return s
}

// fail ends the session once: the socket is closed and every waiting
// request ends with ENOTCONN.
func (s *session) fail(err error) {
	s.mu.Lock()
	select {
	case <-s.dead:
		s.mu.Unlock()
		return
	default:
	}
	s.err = err
	close(s.dead)
	s.flushTimer.Stop() // deferred one-way frames die with the connection
	waiting := s.pending
	s.pending = map[uint64]*pending{}
	s.mu.Unlock()
	s.nc.Close()
	for _, p := range waiting {
		p.err = s.notConnected()
		p.finish()
	}
}

// notConnected is the error of a request the session could not complete.
func (s *session) notConnected() error {
	return &xlator.OpError{Op: "protocol/client", Path: s.addr, Err: syscall.ENOTCONN}
}

// roundTrip sends req and waits for its reply. For a read, dest receives
// the data directly from the socket. A lock wait whose ctx ends is
// cancelled on the server and answers EINTR; other requests wait for
// their reply or the end of the session.
func (s *session) roundTrip(ctx context.Context, req *wire.Request, dest []byte) (*wire.Reply, error) {
	p := &pending{op: req.Op, dest: dest, done: make(chan struct{})}
	id, ok := s.send(req, p)
	if !ok {
		return nil, s.notConnected()
	}
	// Only a lock wait gives up when ctx ends (a FUSE interrupt): every
	// other fop completes, bounded by ping-timeout, since answering
	// EINTR to a stat or a read would fail the application's system
	// call on any signal it gets.
	undo := unlockOf(req)
	if undo == nil {
		<-p.done
	} else {
		select {
		case <-p.done:
		case <-ctx.Done():
			// The server may grant the lock before it sees the
			// cancel: wait for its answer (prompt once it has the
			// cancel) and give back a lock granted too late.
			s.write(wire.Header{Kind: wire.KindCancel, ID: id}, nil, nil)
			<-p.done
			if p.err == nil && p.rep.Errno == 0 {
				s.roundTrip(context.WithoutCancel(ctx), undo, nil)
			}
			return nil, syscall.EINTR
		}
	}
	if p.err != nil {
		return nil, p.err
	}
	if p.rep.Errno != 0 {
		return &p.rep, p.rep.Errno
	}
	return &p.rep, nil
}

// send registers p as the waiter of req's reply under a new request id
// and writes req; ok is false (nothing registered or sent) when the
// session has ended. A failed write ends the session, which answers p.
func (s *session) send(req *wire.Request, p *pending) (id uint64, ok bool) {
	s.mu.Lock()
	if s.pending == nil || isClosed(s.dead) {
		s.mu.Unlock()
		return 0, false
	}
	s.nextID++
	id = s.nextID
	s.pending[id] = p
	s.mu.Unlock()
	s.bumpGens(req)

	buf, payload := requestFrame(req, wire.KindRequest, id)
	if err := s.wmu.Write(s.nc, buf, payload); err != nil {
		s.fail(fmt.Errorf("sending %s to %s: %w", req.Op, s.addr, err))
	}
	return id, true
}

// oneWay sends req (wire.OneWay must allow it) as a one-way request:
// nothing waits for or receives an answer; the server runs it before any
// request written after it. The frame leaves with the next frame written
// on the session, or oneWayDelay later. On a session that has ended it sends
// nothing and returns ENOTCONN (the server releases a connection's
// descriptors and locks when it ends); a failed write ends the session.
func (s *session) oneWay(req *wire.Request) error {
	if isClosed(s.dead) {
		return s.notConnected()
	}
	s.bumpGens(req)
	buf, _ := requestFrame(req, wire.KindOneWay, 0) // one-way ops carry no payload
	if err := s.wmu.Defer(buf); err != nil {
		return s.notConnected()
	}
	if s.flushArmed.CompareAndSwap(false, true) {
		s.flushTimer.Reset(oneWayDelay)
	}
	return nil
}

// oneWayDelay is the longest a one-way request waits to leave with the
// next frame: in a loop of small-file operations the next request comes
// sooner, and the one-way frames ride in its write (one system call on
// each side for all of them, and no wake-up of the server for each).
const oneWayDelay = 500 * time.Microsecond

// flushDeferred writes the one-way frames no other frame has carried
// within oneWayDelay.
func (s *session) flushDeferred() {
	s.flushArmed.Store(false)
	if err := s.wmu.Flush(s.nc); err != nil {
		s.fail(fmt.Errorf("sending to %s: %w", s.addr, err))
	}
}

// bumpGens counts req, before it is sent, in the client's generations of
// requests that may change data (quick-read) or attributes and entries
// (readdir-ahead).
func (s *session) bumpGens(req *wire.Request) {
	if changesData(req) {
		s.dataGen.Add(1)
	}
	if changesAttrs(req) {
		s.modGen.Add(1)
	}
}

// requestFrame encodes req as a frame of kind with request id: buf holds
// the header and the body, payload (a write's data) follows it.
func requestFrame(req *wire.Request, kind wire.Kind, id uint64) (buf, payload []byte) {
	buf = wire.AppendRequest(make([]byte, wire.HeaderSize, 256), req)
	payload = wire.RequestPayload(req)
	h := wire.Header{Len: uint32(len(buf) - wire.HeaderSize + len(payload)), Kind: kind, Op: req.Op, ID: id}
	h.Put(buf)
	return buf, payload
}

func isClosed(ch chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

// write sends one frame; buf has room for the header at its start (nil
// for a bodiless frame) and payload follows it.
func (s *session) write(h wire.Header, buf, payload []byte) error {
	if buf == nil {
		buf = make([]byte, wire.HeaderSize)
	}
	h.Put(buf)
	return s.wmu.Write(s.nc, buf, payload)
}

// readLoop receives frames until the connection fails.
func (s *session) readLoop() {
	hb := make([]byte, wire.HeaderSize)
	for {
		h, err := wire.ReadHeader(s.br, hb)
		if err != nil {
			s.fail(fmt.Errorf("reading from %s: %w", s.addr, err))
			return
		}
		s.lastRecv.Store(time.Now().UnixNano())
		switch h.Kind {
		case wire.KindPong:
			continue
		case wire.KindReply:
		default:
			s.fail(fmt.Errorf("protocol error from %s: a %s frame", s.addr, h.Kind))
			return
		}
		s.mu.Lock()
		p := s.pending[h.ID]
		delete(s.pending, h.ID)
		s.mu.Unlock()
		if p == nil { // cancelled: skip its body
			if _, err := io.CopyN(io.Discard, s.br, int64(h.Len)); err != nil {
				s.fail(fmt.Errorf("reading from %s: %w", s.addr, err))
				return
			}
			continue
		}
		if err := s.receive(h, p); err != nil {
			p.err = &xlator.OpError{Op: "protocol/client", Path: s.addr, Err: syscall.EIO}
			p.finish()
			s.fail(fmt.Errorf("protocol error from %s: %w", s.addr, err))
			return
		}
		p.finish()
	}
}

// receive reads the body of p's reply.
func (s *session) receive(h wire.Header, p *pending) error {
	if h.Op != p.op {
		return fmt.Errorf("reply of %s to a %s request", h.Op, p.op)
	}
	if h.Op == wire.OpRead {
		return s.receiveRead(h, p)
	}
	body := make([]byte, h.Len)
	if _, err := io.ReadFull(s.br, body); err != nil {
		return err
	}
	return wire.DecodeReply(h.Op, body, &p.rep)
}

// receiveRead reads a read reply's data straight into the caller's
// destination.
func (s *session) receiveRead(h wire.Header, p *pending) error {
	if h.Len < 4 {
		return wire.ErrShort
	}
	var b [8]byte
	if _, err := io.ReadFull(s.br, b[:4]); err != nil {
		return err
	}
	errno := binary.LittleEndian.Uint32(b[:4])
	if errno != 0 {
		if h.Len != 4 || errno > 4095 {
			return errors.New("malformed read error reply")
		}
		p.rep.Errno = syscall.Errno(errno)
		return nil
	}
	if h.Len < 8 {
		return wire.ErrShort
	}
	if _, err := io.ReadFull(s.br, b[4:8]); err != nil {
		return err
	}
	n := binary.LittleEndian.Uint32(b[4:8])
	if int64(n) != int64(h.Len)-8 || int(n) > len(p.dest) {
		return fmt.Errorf("read reply of %d bytes for a %d-byte read", n, len(p.dest))
	}
	if _, err := io.ReadFull(s.br, p.dest[:n]); err != nil {
		return err
	}
	p.rep.N = int64(n)
	return nil
}

// pingLoop sends a ping every interval and fails the session when
// nothing has come back for timeout.
func (s *session) pingLoop(timeout time.Duration) {
	interval := max(timeout/4, 50*time.Millisecond)
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-s.dead:
			return
		case <-t.C:
		}
		if since := time.Since(time.Unix(0, s.lastRecv.Load())); since > timeout {
			s.fail(fmt.Errorf("%s did not answer for %v (ping-timeout %v)", s.addr, since.Round(time.Millisecond), timeout))
			return
		}
		if err := s.write(wire.Header{Kind: wire.KindPing}, nil, nil); err != nil {
			s.fail(fmt.Errorf("pinging %s: %w", s.addr, err))
			return
		}
	}
}

// unlockOf returns the request that undoes a waiting lock request, or
// nil for any other request.
func unlockOf(req *wire.Request) *wire.Request {
	u := *req
	switch {
	case (req.Op == wire.OpLk || req.Op == wire.OpInodelk || req.Op == wire.OpFinodelk) &&
		xlator.LkCmd(req.Cmd) == xlator.LkSetWait:
		u.Cmd = uint32(xlator.LkSet)
		u.Lock.Type = xlator.Unlock
	case (req.Op == wire.OpEntrylk || req.Op == wire.OpFentrylk) && xlator.EntrylkCmd(req.Cmd) == xlator.EntryLock:
		u.Cmd = uint32(xlator.EntryUnlock)
	default:
		return nil
	}
	return &u
}
