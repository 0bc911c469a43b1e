package wire

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"syscall"
)

// Version is the protocol version this package speaks. A peer with
// another version is refused in the handshake. Version 2 added the
// parent's attributes to the replies of entry ops and the file's to the
// reply of open. Version 3 added quick-read: an open request names the
// largest file it wants the contents of, and the reply carries them;
// create and open replies say whether the file has no
// security.capability xattr. Version 4 lets the domain of an inodelk or
// finodelk join several domains (xlator.JoinLockDomains): one request
// locks or unlocks the range in each. Version 5 added one-way requests
// (KindOneWay, OneWay).
const Version = 5

// Magic starts every connection, in both directions.
const Magic = "LOOM"

// PrefaceSize is the size of the connection preface: Magic, the version
// (16 bits) and two reserved zero bytes.
const PrefaceSize = 8

// ErrPeerSpeaksTLS means the peer's first bytes are a TLS record: a TLS
// client (or server) on the other end of a plain connection.
var ErrPeerSpeaksTLS = errors.New("the peer speaks TLS (transport.socket.ssl-enabled is on at the other end)")

// ErrNotLoom means the peer's first bytes are neither Loom's magic nor TLS.
var ErrNotLoom = errors.New("the peer is not a Loom protocol endpoint (bad magic)")

// AppendPreface appends the connection preface.
func AppendPreface(b []byte) []byte {
	b = append(b, Magic...)
	b = binary.LittleEndian.AppendUint16(b, Version)
	return append(b, 0, 0)
}

// LooksLikeTLS reports whether b starts like a TLS record (handshake or
// alert, protocol major version 3).
func LooksLikeTLS(b []byte) bool {
	return len(b) >= 2 && (b[0] == 0x16 || b[0] == 0x15) && b[1] == 0x03
}

// ParsePreface checks a peer's preface and returns its version.
func ParsePreface(b []byte) (uint16, error) {
	if len(b) < PrefaceSize {
		return 0, ErrShort
	}
	if string(b[:4]) != Magic {
		if LooksLikeTLS(b) {
			return 0, ErrPeerSpeaksTLS
		}
		return 0, ErrNotLoom
	}
	if b[6] != 0 || b[7] != 0 {
		return 0, fmt.Errorf("wire: preface: reserved bytes are not zero")
	}
	return binary.LittleEndian.Uint16(b[4:]), nil
}

// Hello is the client's handshake: what it wants and who it is.
type Hello struct {
	Subvolume string // the exported volume it asks for
	Username  string // auth.login: "" when none
	Password  string
	Process   string // host and pid of the client, for the server's logs
}

// HelloReply is the server's answer: Errno 0 accepts the connection;
// otherwise Message says why it was refused.
type HelloReply struct {
	Errno   syscall.Errno
	Message string
	Server  string // the server's host and pid, for the client's logs
}

// maxHello bounds a handshake message.
const maxHello = 4 * MaxText

// AppendHello appends a length-prefixed Hello.
func AppendHello(b []byte, h *Hello) []byte {
	var e Enc
	e.Str(h.Subvolume)
	e.Str(h.Username)
	e.Str(h.Password)
	e.Str(h.Process)
	return (&Enc{B: b}).bytesOf(e.B)
}

// DecodeHello decodes a Hello body (without its length prefix).
func DecodeHello(body []byte) (*Hello, error) {
	d := NewDec(body)
	h := &Hello{
		Subvolume: d.Str("subvolume", MaxText),
		Username:  d.Str("username", MaxText),
		Password:  d.Str("password", MaxText),
		Process:   d.Str("process", MaxText),
	}
	if err := d.Done(); err != nil {
		return nil, fmt.Errorf("hello: %w", err)
	}
	return h, nil
}

// AppendHelloReply appends a length-prefixed HelloReply.
func AppendHelloReply(b []byte, r *HelloReply) []byte {
	var e Enc
	e.U32(uint32(r.Errno))
	e.Str(r.Message)
	e.Str(r.Server)
	return (&Enc{B: b}).bytesOf(e.B)
}

// DecodeHelloReply decodes a HelloReply body (without its length prefix).
func DecodeHelloReply(body []byte) (*HelloReply, error) {
	d := NewDec(body)
	r := &HelloReply{Errno: DecodeErrno(d), Message: d.Str("message", MaxText), Server: d.Str("server", MaxText)}
	if err := d.Done(); err != nil {
		return nil, fmt.Errorf("hello reply: %w", err)
	}
	return r, nil
}

func (e *Enc) bytesOf(b []byte) []byte {
	e.Bytes(b)
	return e.B
}

// ReadHandshake reads the peer's preface and one length-prefixed
// handshake message (at most maxHello bytes) from r.
func ReadHandshake(r io.Reader) (version uint16, body []byte, err error) {
	var pre [PrefaceSize]byte
	if _, err := io.ReadFull(r, pre[:]); err != nil {
		return 0, nil, err
	}
	if version, err = ParsePreface(pre[:]); err != nil {
		return 0, nil, err
	}
	var lb [4]byte
	if _, err := io.ReadFull(r, lb[:]); err != nil {
		return version, nil, err
	}
	n := binary.LittleEndian.Uint32(lb[:])
	if n > maxHello {
		return version, nil, fmt.Errorf("wire: handshake message of %d bytes exceeds the limit of %d", n, maxHello)
	}
	body = make([]byte, n)
	if _, err := io.ReadFull(r, body); err != nil {
		return version, nil, err
	}
	return version, body, nil
}
