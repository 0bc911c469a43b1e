// Package server is the protocol/server translator: it exports its
// subvolumes to protocol/client translators over TCP, a unix socket or
// TLS, with the Loom wire protocol (package wire). Each connection asks
// for one subvolume by name in its handshake, is checked against the
// auth options, and then sends many requests at once; each is run on the
// subvolume in its own goroutine with the caller's identity, and the
// replies go back as they finish. When a connection ends, its open files
// are released and ReleaseClient is called on every translator of the
// subvolume that keeps per-client state (locks).
package server

import (
	"context"
	"crypto/tls"
	"fmt"
	"log/slog"
	"net"
	"os"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/loom-fs/loom/translators/protocol/transport"
	"github.com/loom-fs/loom/xlator"
)

// Type is the registered translator type.
const Type = "protocol/server"

// Option keys of protocol/server.
const (
	keyListenAddress = "transport.socket.listen-address"
	keyBindAddress   = "transport.socket.bind-address"
	keyListenPort    = "transport.socket.listen-port"
	keyListenPath    = "transport.socket.listen-path"
	keySSLAllow      = "auth.ssl-allow"
	keyMaxRequests   = "rpc.outstanding-rpc-limit"
	keyMaxBytes      = "rpc.outstanding-bytes-limit"
)

func init() {
	xlator.Register(xlator.Descriptor{
		Type:        Type,
		Doc:         "exports its subvolumes to protocol/client translators over TCP, a unix socket or TLS",
		New:         New,
		Options:     Options,
		MinChildren: 1,
		MaxChildren: -1,
		Root:        true,
	})
}

// Options is the option schema of protocol/server.
var Options = append([]xlator.OptionDef{
	{Key: transport.KeyType, Type: xlator.TypeEnum, Default: "tcp", Allowed: []string{"tcp", "unix"},
		Help: "listen on TCP, or on a unix socket (transport.socket.listen-path)"},
	{Key: keyListenAddress, Type: xlator.TypeString,
		Help: "the address to listen on (tcp); unset listens on every address"},
	{Key: keyBindAddress, Type: xlator.TypeString,
		Help: "GlusterFS's name for transport.socket.listen-address; give one or the other"},
	{Key: keyListenPort, Type: xlator.TypeInt, Default: strconv.Itoa(transport.DefaultPort), Min: 0, Max: 65535,
		Help: "the TCP port to listen on (GlusterFS's 24007); 0 picks a free one and logs it"},
	{Key: keyListenPath, Type: xlator.TypePath,
		Help: "the unix socket to listen on (transport-type unix); a stale socket file there is replaced"},
	{Key: "auth.addr.*.allow", Type: xlator.TypeStringList,
		Help: "client addresses allowed to use subvolume * (addresses, CIDRs, patterns such as 192.168.1.*, or *); without it only loopback clients are"},
	{Key: "auth.addr.*.reject", Type: xlator.TypeStringList,
		Help: "client addresses refused for subvolume *, whatever the allow list says"},
	{Key: "auth.login.*.allow", Type: xlator.TypeStringList,
		Help: "users allowed to use subvolume * (the client's username option); each needs auth.login.<user>.password"},
	{Key: "auth.login.*.password", Type: xlator.TypeString,
		Help: "the password of user * (compared in constant time)"},
	{Key: keySSLAllow, Type: xlator.TypeStringList,
		Help: "with TLS: client certificate common names allowed (shell patterns); unset allows any certificate the CA signed"},
	{Key: keyMaxRequests, Type: xlator.TypeInt, Default: "64", Min: 1, Max: 65536,
		Help: "requests of one connection run at once; the server stops reading from a connection at this many"},
	{Key: keyMaxBytes, Type: xlator.TypeSize, Default: "64MiB", Min: 8 << 20, Max: 1 << 34,
		Help: "bytes of request and reply data one connection may hold in the server at once"},
}, transport.TLSOptions("server")...)

// Server is a protocol/server translator. Its fops are those of the
// first subvolume (it is a root; nothing above it calls them).
type Server struct {
	xlator.Base

	network, address string
	tlsConf          *tls.Config
	policies         map[string]*policy
	maxRequests      int
	maxBytes         int64
	process          string

	mu       sync.Mutex
	ln       net.Listener
	conns    map[*conn]bool
	writers  writers // files open for writing, for quick-read (quickread.go)
	up       map[xlator.Translator]bool
	stopping bool
	wg       sync.WaitGroup
	seq      atomic.Uint64
}

// New builds a protocol/server from cfg.
func New(cfg *xlator.Config) (xlator.Translator, error) {
	o := cfg.Options
	s := &Server{
		Base:        xlator.NewBase(cfg),
		maxRequests: int(o.Int(keyMaxRequests)),
		maxBytes:    o.Size(keyMaxBytes),
		conns:       map[*conn]bool{},
		writers:     writers{count: map[writerKey]int{}},
		up:          map[xlator.Translator]bool{},
	}
	host, _ := os.Hostname()
	s.process = fmt.Sprintf("%s:%d", host, os.Getpid())
	seen := map[string]bool{}
	for _, ch := range cfg.Children {
		if seen[ch.Name()] {
			return nil, fmt.Errorf("subvolume %q is listed twice", ch.Name())
		}
		seen[ch.Name()] = true
	}
	switch o.String(transport.KeyType) {
	case "unix":
		s.network, s.address = "unix", o.String(keyListenPath)
		if s.address == "" {
			return nil, fmt.Errorf("transport-type unix needs %s", keyListenPath)
		}
	default:
		addr := o.String(keyListenAddress)
		if b := o.String(keyBindAddress); b != "" {
			if addr != "" {
				return nil, fmt.Errorf("give %s or %s, not both", keyListenAddress, keyBindAddress)
			}
			addr = b
		}
		s.network, s.address = "tcp", net.JoinHostPort(addr, strconv.Itoa(int(o.Int(keyListenPort))))
	}
	files, on, err := transport.TLSFilesFrom(o)
	if err != nil {
		return nil, err
	}
	if on {
		if s.tlsConf, err = files.ServerConfig(); err != nil {
			return nil, err
		}
	}
	if s.policies, err = policiesFrom(o, cfg.Children); err != nil {
		return nil, err
	}
	return s, nil
}

// Notify records whether each subvolume is up; it does not pass events
// on (a server has no parent).
func (s *Server) Notify(ev xlator.Event, from xlator.Translator) {
	s.mu.Lock()
	s.up[from] = ev == xlator.EventChildUp
	s.mu.Unlock()
	s.Log().Info("subvolume "+ev.String(), "subvolume", from.Name())
}

// childUp reports whether the subvolume last said child-up. A subvolume
// that never sent an event (a translator without a Start) counts as up.
func (s *Server) childUp(t xlator.Translator) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	up, known := s.up[t]
	return up || !known
}

// Start listens and begins accepting clients, then announces child-up.
func (s *Server) Start(ctx context.Context) error {
	if s.network == "unix" {
		if err := removeStaleSocket(s.address); err != nil {
			return err
		}
	}
	ln, err := net.Listen(s.network, s.address)
	if err != nil {
		return fmt.Errorf("%w (is another server using it?)", err)
	}
	s.mu.Lock()
	s.ln = ln
	s.mu.Unlock()
	names := make([]string, 0, len(s.Children()))
	for _, ch := range s.Children() {
		names = append(names, ch.Name())
	}
	s.Log().Info("listening", "transport", s.network, "address", ln.Addr().String(),
		"tls", s.tlsConf != nil, "subvolumes", names)
	s.wg.Add(1)
	go s.accept(ln)
	s.Emit(xlator.EventChildUp)
	return nil
}

// Addr returns the address the server listens on (after Start).
func (s *Server) Addr() net.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ln == nil {
		return nil
	}
	return s.ln.Addr()
}

// removeStaleSocket removes a unix socket file nobody listens on, so a
// restarted server can bind again; a live one is left (listen then fails
// with "address already in use").
func removeStaleSocket(path string) error {
	fi, err := os.Lstat(path)
	if err != nil || fi.Mode().Type() != os.ModeSocket {
		return nil
	}
	c, err := net.Dial("unix", path)
	if err == nil {
		c.Close()
		return fmt.Errorf("listen on unix %s: another server is listening there", path)
	}
	if err := os.Remove(path); err != nil {
		return fmt.Errorf("listen on unix %s: removing the stale socket: %w", path, err)
	}
	return nil
}

// accept takes connections until the listener is closed.
func (s *Server) accept(ln net.Listener) {
	defer s.wg.Done()
	for {
		nc, err := ln.Accept()
		if err != nil {
			s.mu.Lock()
			stopping := s.stopping
			s.mu.Unlock()
			if !stopping {
				s.Log().Error("accept failed; no longer listening", "address", ln.Addr().String(), "err", err)
			}
			return
		}
		c := s.newConn(nc)
		s.mu.Lock()
		if s.stopping {
			s.mu.Unlock()
			nc.Close()
			continue
		}
		s.conns[c] = true
		s.wg.Add(1)
		s.mu.Unlock()
		go func() {
			defer s.wg.Done()
			c.serve()
			s.mu.Lock()
			delete(s.conns, c)
			s.mu.Unlock()
		}()
	}
}

// Fini stops listening, ends every connection (releasing what each
// client held) and waits for them.
func (s *Server) Fini() error {
	s.mu.Lock()
	s.stopping = true
	ln := s.ln
	conns := make([]*conn, 0, len(s.conns))
	for c := range s.conns {
		conns = append(conns, c)
	}
	s.mu.Unlock()
	if ln != nil {
		ln.Close()
		if s.network == "unix" {
			os.Remove(s.address)
		}
	}
	for _, c := range conns {
		c.close()
	}
	s.wg.Wait()
	return nil
}

// subvolume returns the exported child called name.
func (s *Server) subvolume(name string) xlator.Translator {
	for _, ch := range s.Children() {
		if ch.Name() == name {
			return ch
		}
	}
	return nil
}

// releasers returns the translators of the subgraph under t that keep
// per-client state, each once.
func releasers(t xlator.Translator) []xlator.ClientReleaser {
	var out []xlator.ClientReleaser
	seen := map[xlator.Translator]bool{}
	var walk func(t xlator.Translator)
	walk = func(t xlator.Translator) {
		if seen[t] {
			return
		}
		seen[t] = true
		if r, ok := t.(xlator.ClientReleaser); ok {
			out = append(out, r)
		}
		for _, ch := range t.Children() {
			walk(ch)
		}
	}
	walk(t)
	return out
}

// logger returns the server's logger (for connections).
func (s *Server) logger() *slog.Logger { return s.Log() }
