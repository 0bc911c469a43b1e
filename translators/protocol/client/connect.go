package client

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"syscall"
	"time"

	"github.com/loom-fs/loom/translators/protocol/wire"
)

// errNotConnected is the errno of fops while the server is unreachable.
var errNotConnected = syscall.ENOTCONN

// handshakeTimeout bounds connecting, TLS and the hello exchange.
const handshakeTimeout = 10 * time.Second

// RefusedError is the server's refusal of the handshake (authentication,
// unknown subvolume, protocol or TLS mismatch): retrying does not help
// until someone changes a configuration.
type RefusedError struct {
	Addr      string
	Subvolume string
	Errno     syscall.Errno
	Message   string
}

// Error names the server, the subvolume and the server's reason.
func (e *RefusedError) Error() string {
	return fmt.Sprintf("server %s refused the connection to subvolume %q: %s", e.Addr, e.Subvolume, e.Message)
}

// Unwrap returns the errno.
func (e *RefusedError) Unwrap() error { return e.Errno }

// connect dials the server, runs TLS if configured and the handshake, and
// returns the new session (not yet reading).
func (c *Client) connect(ctx context.Context) (*session, error) {
	ctx, cancel := context.WithTimeout(ctx, handshakeTimeout)
	defer cancel()
	var d net.Dialer
	nc, err := d.DialContext(ctx, c.network, c.address)
	if err != nil {
		return nil, fmt.Errorf("connect to %s: %w", c.address, err)
	}
	if tc, ok := nc.(*net.TCPConn); ok {
		tc.SetNoDelay(true)
	}
	deadline, _ := ctx.Deadline()
	nc.SetDeadline(deadline)
	s, err := c.handshake(ctx, nc)
	if err != nil {
		nc.Close()
		return nil, err
	}
	nc.SetDeadline(time.Time{})
	return s, nil
}

func (c *Client) handshake(ctx context.Context, nc net.Conn) (*session, error) {
	conn := nc
	if c.tlsConf != nil {
		tc := tls.Client(nc, c.tlsConf)
		if err := tc.HandshakeContext(ctx); err != nil {
			var rh tls.RecordHeaderError
			if errors.As(err, &rh) && string(rh.RecordHeader[:4]) == wire.Magic {
				return nil, &RefusedError{Addr: c.address, Subvolume: c.subvol, Errno: syscall.EPROTO,
					Message: "the server does not use TLS (it answered in plain text): turn transport.socket.ssl-enabled off, or on at the server"}
			}
			return nil, &RefusedError{Addr: c.address, Subvolume: c.subvol, Errno: syscall.EACCES,
				Message: "TLS handshake failed: " + err.Error()}
		}
		conn = tc
	}
	hello := wire.AppendPreface(nil)
	hello = wire.AppendHello(hello, &wire.Hello{Subvolume: c.subvol, Username: c.username, Password: c.password, Process: c.process})
	if _, err := conn.Write(hello); err != nil {
		return nil, fmt.Errorf("handshake with %s: %w", c.address, err)
	}
	br := bufio.NewReaderSize(conn, 64<<10)
	version, body, err := wire.ReadHandshake(br)
	switch {
	case errors.Is(err, wire.ErrPeerSpeaksTLS):
		return nil, &RefusedError{Addr: c.address, Subvolume: c.subvol, Errno: syscall.EPROTO,
			Message: "the server requires TLS: turn transport.socket.ssl-enabled on (with certificates)"}
	case errors.Is(err, wire.ErrNotLoom):
		return nil, &RefusedError{Addr: c.address, Subvolume: c.subvol, Errno: syscall.EPROTO, Message: err.Error()}
	case err != nil && c.tlsConf != nil:
		// A TLS server that refused our certificate closes after the
		// handshake: the first read shows its alert.
		return nil, &RefusedError{Addr: c.address, Subvolume: c.subvol, Errno: syscall.EACCES,
			Message: "the connection ended during the handshake (is this client's certificate accepted by the server?): " + err.Error()}
	case err != nil:
		return nil, fmt.Errorf("handshake with %s: %w", c.address, err)
	}
	rep, err := wire.DecodeHelloReply(body)
	if err != nil {
		return nil, &RefusedError{Addr: c.address, Subvolume: c.subvol, Errno: syscall.EPROTO, Message: err.Error()}
	}
	if rep.Errno != 0 {
		// A subvolume that is down on the server may come up: retry.
		if rep.Errno == syscall.ENOTCONN {
			return nil, fmt.Errorf("handshake with %s: %s", c.address, rep.Message)
		}
		return nil, &RefusedError{Addr: c.address, Subvolume: c.subvol, Errno: rep.Errno, Message: rep.Message}
	}
	if version != wire.Version {
		return nil, &RefusedError{Addr: c.address, Subvolume: c.subvol, Errno: syscall.EPROTONOSUPPORT,
			Message: fmt.Sprintf("the server speaks protocol version %d, this client %d", version, wire.Version)}
	}
	c.mu.Lock()
	c.gen++
	gen := c.gen
	c.mu.Unlock()
	c.Log().Debug("handshake done", "server", c.address, "server_process", rep.Server)
	return newSession(conn, br, gen, c.address, &c.dataGen, &c.modGen), nil
}
