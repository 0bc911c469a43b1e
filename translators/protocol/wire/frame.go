package wire

import (
	"encoding/binary"
	"fmt"
	"io"
)

// Limits every peer enforces on what it receives.
const (
	// MaxData is the largest read, write or copy a single request moves.
	MaxData = 4 << 20
	// MaxQuickRead is the largest file whose contents an open reply
	// carries (quick-read).
	MaxQuickRead = 1 << 20
	// MaxFrame is the largest frame body: MaxData plus room for the
	// fields around the data.
	MaxFrame = MaxData + 256<<10
	// MaxPath is the longest path (PATH_MAX).
	MaxPath = 4096
	// MaxName is the longest file name (NAME_MAX).
	MaxName = 255
	// MaxXattrName is the longest extended attribute name.
	MaxXattrName = 255
	// MaxXattrValue is the largest extended attribute value (Linux's limit).
	MaxXattrValue = 64 << 10
	// MaxXattrList is the largest total size of a listxattr answer.
	MaxXattrList = 64 << 10
	// MaxGroups is the most supplementary groups a call carries
	// (NGROUPS_MAX).
	MaxGroups = 65536
	// MaxXData is the most entries an XData map carries.
	MaxXData = 256
	// MaxDirEntries is the most entries a readdir reply carries.
	MaxDirEntries = 65536
	// MaxReaddirSize is the largest readdir size a request may ask for.
	MaxReaddirSize = 1 << 20
	// MaxDomain is the longest lock domain name.
	MaxDomain = 1024
	// MaxText is the longest free text (handshake names, messages).
	MaxText = 4096
)

// Kind is the type of a frame.
type Kind uint8

// Frame kinds.
const (
	KindRequest Kind = iota + 1 // a fop call, client to server
	KindReply                   // the answer to a request, server to client
	KindPing                    // liveness probe, client to server
	KindPong                    // answer to a ping, server to client
	KindCancel                  // the client gave up waiting for request Id
	KindOneWay                  // a request the server runs in order and does not answer (OneWay)
)

// String names the kind.
func (k Kind) String() string {
	switch k {
	case KindRequest:
		return "request"
	case KindReply:
		return "reply"
	case KindPing:
		return "ping"
	case KindPong:
		return "pong"
	case KindCancel:
		return "cancel"
	case KindOneWay:
		return "one-way request"
	}
	return fmt.Sprintf("kind(%d)", uint8(k))
}

// HeaderSize is the size of a frame header.
const HeaderSize = 16

// Header starts every frame after the handshake: the body length, the
// frame kind, the op (requests and replies), and the request id that ties
// a reply to its request.
type Header struct {
	Len  uint32 // bytes of body after the header
	Kind Kind
	Op   Op
	ID   uint64
}

// Put writes h into b[:HeaderSize].
func (h *Header) Put(b []byte) {
	_ = b[HeaderSize-1]
	binary.LittleEndian.PutUint32(b[0:], h.Len)
	b[4] = byte(h.Kind)
	b[5] = byte(h.Op)
	b[6], b[7] = 0, 0
	binary.LittleEndian.PutUint64(b[8:], h.ID)
}

// ParseHeader decodes and checks a frame header: a known kind, a known op
// where the kind has one, zero reserved bytes and a body within MaxFrame.
func ParseHeader(b []byte) (Header, error) {
	if len(b) < HeaderSize {
		return Header{}, ErrShort
	}
	h := Header{
		Len:  binary.LittleEndian.Uint32(b[0:]),
		Kind: Kind(b[4]),
		Op:   Op(b[5]),
		ID:   binary.LittleEndian.Uint64(b[8:]),
	}
	if b[6] != 0 || b[7] != 0 {
		return h, fmt.Errorf("wire: frame header: reserved bytes are not zero")
	}
	if h.Len > MaxFrame {
		return h, fmt.Errorf("wire: frame of %d bytes exceeds the limit of %d", h.Len, MaxFrame)
	}
	switch h.Kind {
	case KindRequest, KindReply, KindOneWay:
		if !h.Op.Valid() {
			return h, fmt.Errorf("wire: unknown op %d", uint8(h.Op))
		}
	case KindPing, KindPong, KindCancel:
		if h.Op != 0 || h.Len != 0 {
			return h, fmt.Errorf("wire: %s frame with an op or a body", h.Kind)
		}
	default:
		return h, fmt.Errorf("wire: unknown frame kind %d", uint8(h.Kind))
	}
	return h, nil
}

// ReadHeader reads and checks one frame header from r into buf (at least
// HeaderSize bytes, reused by the caller).
func ReadHeader(r io.Reader, buf []byte) (Header, error) {
	if _, err := io.ReadFull(r, buf[:HeaderSize]); err != nil {
		return Header{}, err
	}
	return ParseHeader(buf[:HeaderSize])
}
