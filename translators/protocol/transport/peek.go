package transport

import (
	"bufio"
	"net"
)

// PeekedConn is a connection whose first bytes were read ahead through a
// bufio.Reader; reads continue from that reader so nothing is lost.
type PeekedConn struct {
	net.Conn
	R *bufio.Reader
}

// Read reads from the look-ahead buffer, then from the connection.
func (c *PeekedConn) Read(p []byte) (int, error) { return c.R.Read(p) }
