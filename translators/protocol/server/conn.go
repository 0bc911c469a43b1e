package server

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"syscall"
	"time"

	"github.com/loom-fs/loom/translators/protocol/transport"
	"github.com/loom-fs/loom/translators/protocol/wire"
	"github.com/loom-fs/loom/xlator"
)

// handshakeTimeout bounds a client's handshake (TLS included).
const handshakeTimeout = 10 * time.Second

// conn is one client connection.
type conn struct {
	srv  *Server
	nc   net.Conn
	br   *bufio.Reader
	log  *slog.Logger
	peer string

	id     string            // Call.Client of its calls
	subvol xlator.Translator // what it asked for

	ctx    context.Context // ends when the connection does
	cancel context.CancelFunc

	wmu transport.FrameWriter // one frame at a time on the socket, gathered under load

	mu       sync.Mutex
	fds      map[uint64]*xlator.FD
	nextFD   uint64
	inflight map[uint64]context.CancelFunc
	closed   bool

	slots  chan struct{} // one per request being served
	work   chan job      // requests for idle workers (workers.go)
	budget *budget       // bytes held by requests being served
	wg     sync.WaitGroup
}

func (s *Server) newConn(nc net.Conn) *conn {
	ctx, cancel := context.WithCancel(context.Background())
	peer := nc.RemoteAddr().String()
	if s.network == "unix" {
		peer = "unix:" + s.address
	}
	return &conn{
		srv: s, nc: nc, peer: peer, ctx: ctx, cancel: cancel,
		log:      s.logger().With("peer", peer),
		fds:      map[uint64]*xlator.FD{},
		inflight: map[uint64]context.CancelFunc{},
		slots:    make(chan struct{}, s.maxRequests),
		work:     make(chan job),
		budget:   newBudget(s.maxBytes),
	}
}

// close ends the connection; serve then cleans up.
func (c *conn) close() {
	c.cancel()
	c.nc.Close()
}

// serve runs the handshake and then the request loop; when the
// connection ends it waits for the requests in progress and releases
// everything the client held.
func (c *conn) serve() {
	defer c.close()
	if err := c.handshake(); err != nil {
		c.log.Warn("client refused", "err", err)
		return
	}
	c.log.Info("client connected", "client", c.id, "subvolume", c.subvol.Name())
	err := c.readLoop()
	c.cancel()
	c.nc.Close()
	c.wg.Wait()
	fds, dirs := c.releaseAll()
	for _, r := range releasers(c.subvol) {
		r.ReleaseClient(c.id)
	}
	msg := "client disconnected"
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, net.ErrClosed) {
		msg = "client connection failed"
	}
	c.log.Info(msg, "client", c.id, "released_files", fds, "released_dirs", dirs, "err", err)
}

// handshake reads the client's preface and hello (telling a TLS client
// on a plain port, or a plain client on a TLS port, what is wrong),
// checks the auth options and answers.
func (c *conn) handshake() error {
	c.nc.SetDeadline(time.Now().Add(handshakeTimeout))
	defer c.nc.SetDeadline(time.Time{})
	br := bufio.NewReaderSize(c.nc, 64<<10)
	first, err := br.Peek(4)
	if err != nil {
		return fmt.Errorf("reading the preface: %w", err)
	}
	p := &peer{unix: c.srv.network == "unix"}
	if !p.unix {
		ap, err := netip.ParseAddrPort(c.nc.RemoteAddr().String())
		if err != nil {
			return fmt.Errorf("peer address %q: %w", c.nc.RemoteAddr(), err)
		}
		p.addr = ap.Addr()
	}
	switch {
	case c.srv.tlsConf == nil && wire.LooksLikeTLS(first):
		c.refusePlain(syscall.EPROTO, "this server does not use TLS: turn transport.socket.ssl-enabled off on the client")
		return errors.New("a TLS client on a plain server")
	case c.srv.tlsConf != nil && string(first) == wire.Magic:
		c.refusePlain(syscall.EPROTO, "this server requires TLS: turn transport.socket.ssl-enabled on (with certificates) on the client")
		return errors.New("a plain client on a TLS server")
	case c.srv.tlsConf != nil:
		tc := tls.Server(&transport.PeekedConn{Conn: c.nc, R: br}, c.srv.tlsConf)
		if err := tc.Handshake(); err != nil {
			return fmt.Errorf("TLS handshake: %w", err)
		}
		p.tls = true
		if certs := tc.ConnectionState().PeerCertificates; len(certs) > 0 {
			p.cn = certs[0].Subject.CommonName
		}
		c.nc = tc
		br = bufio.NewReaderSize(tc, 64<<10)
	}
	c.br = br
	version, body, err := wire.ReadHandshake(br)
	if err != nil {
		return fmt.Errorf("reading the hello: %w", err)
	}
	if version != wire.Version {
		msg := fmt.Sprintf("protocol version %d is not supported; this server speaks version %d", version, wire.Version)
		c.reply(syscall.EPROTONOSUPPORT, msg)
		return errors.New(msg)
	}
	h, err := wire.DecodeHello(body)
	if err != nil {
		c.reply(syscall.EPROTO, "malformed hello")
		return err
	}
	p.username, p.password = h.Username, h.Password
	c.log = c.log.With("process", h.Process, "subvolume", h.Subvolume)
	sub := c.srv.subvolume(h.Subvolume)
	if sub == nil {
		msg := fmt.Sprintf("no exported subvolume %q", h.Subvolume)
		c.reply(syscall.ENOENT, msg)
		return errors.New(msg)
	}
	if err := c.srv.policies[sub.Name()].decide(p); err != nil {
		c.reply(syscall.EACCES, "authentication failed: "+err.Error())
		return err
	}
	if !c.srv.childUp(sub) {
		msg := fmt.Sprintf("subvolume %q is down", sub.Name())
		c.reply(syscall.ENOTCONN, msg)
		return errors.New(msg)
	}
	c.subvol = sub
	c.id = fmt.Sprintf("%s/%s#%d", c.peer, h.Process, c.srv.seq.Add(1))
	return c.reply(0, "welcome")
}

// reply sends the hello reply.
func (c *conn) reply(errno syscall.Errno, msg string) error {
	b := wire.AppendPreface(nil)
	b = wire.AppendHelloReply(b, &wire.HelloReply{Errno: errno, Message: msg, Server: c.srv.process})
	_, err := c.nc.Write(b)
	return err
}

// refusePlain answers in plain text (a preface and a refusal) on the raw
// connection and closes it.
func (c *conn) refusePlain(errno syscall.Errno, msg string) {
	c.reply(errno, msg)
}

// readLoop reads frames until the connection fails. Each request waits
// for a free slot and for its bytes in the budget before its body is
// read: a client that sends faster than the server works is simply not
// read from (backpressure).
func (c *conn) readLoop() error {
	hb := make([]byte, wire.HeaderSize)
	for {
		h, err := wire.ReadHeader(c.br, hb)
		if err != nil {
			return err
		}
		switch h.Kind {
		case wire.KindPing:
			if err := c.writeFrame(wire.Header{Kind: wire.KindPong, ID: h.ID}, nil, nil); err != nil {
				return err
			}
			continue
		case wire.KindCancel:
			c.mu.Lock()
			if cancel := c.inflight[h.ID]; cancel != nil {
				cancel()
			}
			c.mu.Unlock()
			continue
		case wire.KindOneWay:
			if err := c.oneWay(h); err != nil {
				return err
			}
			continue
		case wire.KindRequest:
		default:
			return fmt.Errorf("protocol error: a %s frame from a client", h.Kind)
		}
		select {
		case c.slots <- struct{}{}:
		case <-c.ctx.Done():
			return c.ctx.Err()
		}
		cost := int64(h.Len)
		if !c.budget.acquire(c.ctx, cost) {
			<-c.slots
			return c.ctx.Err()
		}
		// A write's body (its data) comes from a pool; see pool.go.
		var pooled *[]byte
		var body []byte
		if h.Op == wire.OpWrite {
			pooled = getBuf(int(h.Len))
			body = *pooled
		} else {
			body = make([]byte, h.Len)
		}
		if _, err := io.ReadFull(c.br, body); err != nil {
			putBuf(pooled)
			c.budget.release(cost)
			<-c.slots
			return err
		}
		rctx, cancel := context.WithCancel(c.ctx)
		c.mu.Lock()
		c.inflight[h.ID] = cancel
		c.mu.Unlock()
		c.wg.Add(1)
		c.run(job{ctx: rctx, h: h, body: body, pooled: pooled, cost: cost})
	}
}

// handle runs one request and sends its reply. pooled, if not nil, is
// the pool buffer holding body: it goes back once the reply is sent.
func (c *conn) handle(ctx context.Context, h wire.Header, body []byte, pooled *[]byte, cost int64) {
	var readBuf *[]byte // a read's reply data, from the pool
	defer func() {
		putBuf(pooled)
		putBuf(readBuf)
		c.mu.Lock()
		if cancel := c.inflight[h.ID]; cancel != nil {
			cancel()
			delete(c.inflight, h.ID)
		}
		c.mu.Unlock()
		c.budget.release(cost)
		<-c.slots
		c.wg.Done()
	}()
	var req wire.Request
	var rep wire.Reply
	var held int64 // a read's reply data, held against the budget
	defer func() { c.budget.release(held) }()
	switch err := wire.DecodeRequest(h.Op, body, &req); {
	case err != nil:
		c.log.Warn("malformed request", "op", h.Op.String(), "err", err)
		rep.Errno = syscall.EINVAL
	case ctx.Err() != nil:
		// Cancelled before it started: a lock must not be granted
		// to a caller that has already given up.
		rep.Errno = syscall.EINTR
	case req.Op == wire.OpRead && !c.budget.acquire(ctx, int64(req.Count)):
		rep.Errno = syscall.EINTR
	default:
		if req.Op == wire.OpRead {
			held = int64(req.Count)
		}
		req.Call.Client = c.id
		if req.Op == wire.OpRead {
			readBuf = getBuf(int(req.Count))
			rep.Data = *readBuf
		}
		c.dispatch(ctx, &req, &rep)
	}
	out := wire.AppendReply(make([]byte, wire.HeaderSize, 256), h.Op, &rep)
	payload := wire.ReplyPayload(h.Op, &rep)
	hdr := wire.Header{Len: uint32(len(out) - wire.HeaderSize + len(payload)), Kind: wire.KindReply, Op: h.Op, ID: h.ID}
	if err := c.writeFrame(hdr, out, payload); err != nil {
		c.log.Debug("reply not sent", "op", h.Op.String(), "err", err)
		c.nc.Close()
	}
}

// writeFrame sends one frame: buf holds the header's room and the body
// (nil for bodiless frames), payload follows it on the socket.
func (c *conn) writeFrame(h wire.Header, buf, payload []byte) error {
	if buf == nil {
		buf = make([]byte, wire.HeaderSize)
	}
	h.Put(buf)
	return c.wmu.Write(c.nc, buf, payload)
}

// releaseAll releases every file the client left open.
func (c *conn) releaseAll() (files, dirs int) {
	c.mu.Lock()
	fds := c.fds
	c.fds = map[uint64]*xlator.FD{}
	c.closed = true
	c.mu.Unlock()
	call := &xlator.Call{Client: c.id}
	ctx := context.Background()
	for _, fd := range fds {
		c.srv.fdClosed(c.subvol, fd)
		if fd.Dir {
			c.subvol.Releasedir(ctx, call, fd)
			dirs++
		} else {
			c.subvol.Release(ctx, call, fd)
			files++
		}
	}
	return files, dirs
}
