// Package client is the protocol/client translator: a leaf that sends
// every fop to a subvolume exported by a protocol/server, over TCP, a
// unix socket or TLS, with the Loom wire protocol (package wire).
//
// It keeps one connection, with many requests in flight. A ping every
// quarter of ping-timeout detects a dead server; then every waiting fop
// fails with ENOTCONN, child-down goes up the graph, and the client
// reconnects with backoff. After a reconnect the open files are reopened
// by GFID before child-up is announced; files that held POSIX locks (the
// server dropped them with the old connection) answer EBADF instead.
package client

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/loom-fs/loom/translators/protocol/transport"
	"github.com/loom-fs/loom/translators/protocol/wire"
	"github.com/loom-fs/loom/xlator"
)

// Type is the registered translator type.
const Type = "protocol/client"

// Option keys of protocol/client.
const (
	keyHost         = "remote-host"
	keyPort         = "remote-port"
	keySubvolume    = "remote-subvolume"
	keyConnectPath  = "transport.socket.connect-path"
	keyPingTimeout  = "ping-timeout"
	keyUsername     = "username"
	keyPassword     = "password"
	keyMaxBackoff   = "reconnect-max-backoff"
	keyReplyAttr    = "reply-attr-timeout"
	keyQuickRead    = "quick-read"
	keyReaddirAhead = "readdir-ahead"
)

func init() {
	xlator.Register(xlator.Descriptor{
		Type:        Type,
		Doc:         "sends every fop to a subvolume exported by a protocol/server (TCP, unix socket or TLS)",
		New:         New,
		Options:     Options,
		MinChildren: 0,
		MaxChildren: 0,
	})
}

// Options is the option schema of protocol/client.
var Options = append([]xlator.OptionDef{
	{Key: transport.KeyType, Type: xlator.TypeEnum, Default: "tcp", Allowed: []string{"tcp", "unix"},
		Help: "connect over TCP (remote-host, remote-port) or a unix socket (transport.socket.connect-path)"},
	{Key: keyHost, Type: xlator.TypeString,
		Help: "the server's host name or address (tcp); required with tcp"},
	{Key: keyPort, Type: xlator.TypeInt, Default: strconv.Itoa(transport.DefaultPort), Min: 1, Max: 65535,
		Help: "the server's TCP port"},
	{Key: keySubvolume, Type: xlator.TypeString, Required: true,
		Help: "the name of the volume the server exports to use"},
	{Key: keyConnectPath, Type: xlator.TypePath,
		Help: "the server's unix socket (transport-type unix)"},
	{Key: keyPingTimeout, Type: xlator.TypeDuration, Default: "5s", Min: 200, Max: 3600_000,
		Help: "a server that answers nothing (not even a ping) for this long is taken as dead: fops fail with ENOTCONN and child-down goes up"},
	{Key: keyMaxBackoff, Type: xlator.TypeDuration, Default: "2s", Min: 100, Max: 600_000,
		Help: "the longest wait between two reconnection attempts (the wait starts at 100ms and doubles)"},
	{Key: keyReplyAttr, Type: xlator.TypeDuration, Default: "200ms", Min: 0, Max: 10_000,
		Help: "attributes the server returns with a reply (a directory's with create, mkdir, unlink, ...; a file's with open) answer one stat or fstat of that inode within this time (the one the kernel sends next) without a round trip; the server's word that a file has no security.capability xattr (with create, open for writing, or a getxattr) answers the kernel's check of it before each write within this time; 0 turns both off"},
	{Key: keyQuickRead, Type: xlator.TypeSize, Default: "64KiB", Min: 0, Max: wire.MaxQuickRead,
		Help: "an open for reading of a file of at most this size asks the server for its contents with the open reply (only sent while no file open on the server may write to it); they answer the reads of that descriptor within reply-attr-timeout of the open, until this client sends a request that can change a file's data; 0 (or reply-attr-timeout 0) turns it off"},
	{Key: keyReaddirAhead, Type: xlator.TypeSize, Default: "64KiB", Min: 0, Max: wire.MaxReaddirSize,
		Help: "a readdir asks the server for this many bytes of entries (at least what the kernel asked for); the kernel's next readdirs of that open directory, to the end of the listing, are answered from them within reply-attr-timeout and until this client sends a request that can change attributes or entries; 0 (or reply-attr-timeout 0) turns it off"},
	{Key: keyUsername, Type: xlator.TypeString,
		Help: "the user to log in as (the server's auth.login)"},
	{Key: keyPassword, Type: xlator.TypeString,
		Help: "the password of username"},
}, transport.TLSOptions("client")...)

// Client is a protocol/client translator.
type Client struct {
	xlator.Leaf

	network, address string // "tcp" and host:port, or "unix" and a path
	subvol           string
	username         string
	password         string
	tlsConf          *tls.Config
	pingTimeout      time.Duration
	maxBackoff       time.Duration
	process          string

	ctl sync.Mutex // orders the events the client emits

	mu        sync.Mutex
	sess      *session // nil while disconnected
	gen       uint64
	fds       map[*xlator.FD]*remoteFD
	behind    *behind       // flush and release sent without waiting; see behind.go
	parents   *parentAttrs  // directories' attributes from entry op replies; see parents.go
	noCaps    *noCaps       // inodes without security.capability; see caps.go
	quickMax  uint32        // quick-read: the largest file to ask for (quickread.go)
	quickTTL  time.Duration // how long after the open its contents answer reads
	quickHeld atomic.Int64  // bytes of contents kept
	dataGen   atomic.Uint64 // requests sent that may change a file's data
	modGen    atomic.Uint64 // requests sent that may change attributes or entries (readdirahead.go)
	aheadSize int           // readdir-ahead: bytes of entries a readdir asks for
	aheadTTL  time.Duration // how long entries fetched ahead answer readdirs
	state     xlator.Event  // the last event emitted; 0 before the first
	status    string        // why it is down, for logs
	stop      chan struct{}
	done      chan struct{} // closed when run ends (or Start failed)

	started bool // Start was called: Fini must wait for done
}

// New builds a protocol/client from cfg.
func New(cfg *xlator.Config) (xlator.Translator, error) {
	o := cfg.Options
	c := &Client{
		Leaf:        xlator.NewLeaf(cfg),
		subvol:      o.String(keySubvolume),
		username:    o.String(keyUsername),
		password:    o.String(keyPassword),
		pingTimeout: o.Duration(keyPingTimeout),
		maxBackoff:  o.Duration(keyMaxBackoff),
		fds:         map[*xlator.FD]*remoteFD{},
		stop:        make(chan struct{}),
		done:        make(chan struct{}),
	}
	c.parents = newParentAttrs(o.Duration(keyReplyAttr))
	c.noCaps = newNoCaps(o.Duration(keyReplyAttr))
	c.quickMax, c.quickTTL = uint32(o.Size(keyQuickRead)), o.Duration(keyReplyAttr)
	c.aheadSize, c.aheadTTL = int(o.Size(keyReaddirAhead)), o.Duration(keyReplyAttr)
	c.behind = newBehind()
	host, _ := os.Hostname()
	c.process = fmt.Sprintf("%s:%d", host, os.Getpid())
	switch o.String(transport.KeyType) {
	case "unix":
		c.network, c.address = "unix", o.String(keyConnectPath)
		if c.address == "" {
			return nil, fmt.Errorf("transport-type unix needs %s", keyConnectPath)
		}
	default:
		h := o.String(keyHost)
		if h == "" {
			return nil, fmt.Errorf("%s is required with transport-type tcp", keyHost)
		}
		c.network, c.address = "tcp", net.JoinHostPort(h, strconv.Itoa(int(o.Int(keyPort))))
	}
	if (c.username == "") != (c.password == "") {
		return nil, fmt.Errorf("give both %s and %s, or neither", keyUsername, keyPassword)
	}
	files, on, err := transport.TLSFilesFrom(o)
	if err != nil {
		return nil, err
	}
	if on {
		if c.tlsConf, err = files.ClientConfig(); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// Addr is the server's address as the client names it in messages.
func (c *Client) Addr() string { return c.address }

// Start makes the first connection attempt. A refusal by the server
// (authentication, unknown subvolume, TLS mismatch) fails Start, since
// retrying cannot help; an unreachable server only sends child-down up
// the graph, and the client keeps trying in the background.
func (c *Client) Start(ctx context.Context) error {
	c.mu.Lock()
	c.started = true
	c.mu.Unlock()
	s, err := c.connect(ctx)
	var refused *RefusedError
	if errors.As(err, &refused) {
		close(c.done)
		return err
	}
	go c.run(s, err)
	return nil
}

// run keeps the client connected until Fini: it announces the state of
// the first attempt, then waits on each session, reconnecting with
// backoff when one ends.
func (c *Client) run(s *session, err error) {
	defer close(c.done)
	backoff := 100 * time.Millisecond
	for {
		if err == nil {
			backoff = 100 * time.Millisecond
			c.established(s)
			select {
			case <-s.dead:
				err = s.err
			case <-c.stop:
				s.fail(errors.New("client stopped"))
				return
			}
			c.lost(s, err)
		} else {
			c.down(err)
		}
		select {
		case <-time.After(backoff):
		case <-c.stop:
			return
		}
		backoff = min(backoff*2, c.maxBackoff)
		ctx, cancel := context.WithCancel(context.Background())
		go func() {
			select {
			case <-c.stop:
				cancel()
			case <-ctx.Done():
			}
		}()
		s, err = c.connect(ctx)
		cancel()
	}
}

// established reopens the open files on s, makes s current and
// announces child-up.
func (c *Client) established(s *session) {
	go s.readLoop()
	go s.pingLoop(c.pingTimeout)
	c.reopen(s)
	c.ctl.Lock()
	defer c.ctl.Unlock()
	c.mu.Lock()
	c.sess = s
	prev := c.state
	c.state = xlator.EventChildUp
	c.status = ""
	c.mu.Unlock()
	c.Log().Info("connected", "server", c.address, "subvolume", c.subvol, "generation", s.gen)
	if prev != xlator.EventChildUp {
		c.Emit(xlator.EventChildUp)
	}
}

// lost forgets s and announces child-down. Quick-read contents kept
// from s are not used any more (the files may change while the client
// is away).
func (c *Client) lost(s *session, err error) {
	c.mu.Lock()
	if c.sess == s {
		c.sess = nil
	}
	c.mu.Unlock()
	c.dataGen.Add(1)
	c.Log().Warn("disconnected", "server", c.address, "subvolume", c.subvol, "err", err)
	c.down(err)
}

// down announces child-down unless already down; a new reason is logged.
func (c *Client) down(err error) {
	c.ctl.Lock()
	defer c.ctl.Unlock()
	c.mu.Lock()
	prev, prevStatus := c.state, c.status
	c.state = xlator.EventChildDown
	c.status = err.Error()
	c.mu.Unlock()
	if c.status != prevStatus {
		c.Log().Error("cannot reach the server; retrying", "server", c.address, "subvolume", c.subvol, "err", err)
	}
	if prev != xlator.EventChildDown {
		c.Emit(xlator.EventChildDown)
	}
}

// DownReason says why the client is not connected ("" while it is): the
// server's address and the last connection error. xlator.Graph.WaitUp
// puts it in the error of a mount whose bricks are unreachable.
func (c *Client) DownReason() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.sess != nil || c.status == "" {
		return ""
	}
	return c.status
}

// current returns the live session, or an ENOTCONN error naming the server.
func (c *Client) current() (*session, error) {
	c.mu.Lock()
	s := c.sess
	c.mu.Unlock()
	if s == nil {
		return nil, &xlator.OpError{Op: "protocol/client", Path: c.address, Err: errNotConnected}
	}
	return s, nil
}

// Fini stops reconnecting and closes the connection.
func (c *Client) Fini() error {
	c.mu.Lock()
	started := c.started
	c.mu.Unlock()
	select {
	case <-c.stop:
	default:
		close(c.stop)
	}
	if started {
		<-c.done
	}
	c.mu.Lock()
	s := c.sess
	c.sess = nil
	c.mu.Unlock()
	if s != nil {
		s.fail(errors.New("client stopped"))
	}
	return nil
}
