package wire

import (
	"bytes"
	"testing"
)

// seedBodies adds a request or reply body of every op to f.
func seedBodies(f *testing.F, reply bool) {
	for _, op := range Ops() {
		if reply {
			f.Add(uint8(op), encodeReply(op, fullReply()))
		} else {
			f.Add(uint8(op), encodeRequest(fullRequest(op)))
		}
	}
}

// FuzzDecodeRequest: no input makes the request decoder panic, and what
// it accepts encodes back to the same bytes.
func FuzzDecodeRequest(f *testing.F) {
	seedBodies(f, false)
	f.Fuzz(func(t *testing.T, op uint8, body []byte) {
		var r Request
		if err := DecodeRequest(Op(op), body, &r); err != nil {
			return
		}
		if again := encodeRequest(&r); !bytes.Equal(again, body) {
			t.Fatalf("%s: accepted body re-encodes differently:\n got %x\nwant %x", Op(op), again, body)
		}
	})
}

// FuzzDecodeReply: the same for replies.
func FuzzDecodeReply(f *testing.F) {
	seedBodies(f, true)
	f.Fuzz(func(t *testing.T, op uint8, body []byte) {
		var r Reply
		if err := DecodeReply(Op(op), body, &r); err != nil {
			return
		}
		if again := encodeReply(Op(op), &r); !bytes.Equal(again, body) {
			t.Fatalf("%s: accepted body re-encodes differently:\n got %x\nwant %x", Op(op), again, body)
		}
	})
}

// FuzzDecodeHandshake: prefaces, hellos and hello replies from hostile
// bytes.
func FuzzDecodeHandshake(f *testing.F) {
	f.Add(AppendHello(AppendPreface(nil), &Hello{Subvolume: "b", Username: "u", Password: "p", Process: "x"}))
	f.Add(AppendHelloReply(AppendPreface(nil), &HelloReply{Errno: 13, Message: "m", Server: "s"}))
	f.Add([]byte{0x16, 0x03, 0x01, 0x00})
	f.Fuzz(func(t *testing.T, data []byte) {
		_, body, err := ReadHandshake(bytes.NewReader(data))
		if err != nil {
			return
		}
		if h, err := DecodeHello(body); err == nil {
			if again := AppendHello(nil, h); !bytes.Equal(again[4:], body) {
				t.Fatalf("hello re-encodes differently")
			}
		}
		if r, err := DecodeHelloReply(body); err == nil {
			if again := AppendHelloReply(nil, r); !bytes.Equal(again[4:], body) {
				t.Fatalf("hello reply re-encodes differently")
			}
		}
	})
}

// FuzzDecodeHeader: frame headers.
func FuzzDecodeHeader(f *testing.F) {
	var b [HeaderSize]byte
	(&Header{Len: 10, Kind: KindRequest, Op: OpRead, ID: 5}).Put(b[:])
	f.Add(b[:])
	var one [HeaderSize]byte
	(&Header{Len: 40, Kind: KindOneWay, Op: OpRelease}).Put(one[:])
	f.Add(one[:])
	f.Fuzz(func(t *testing.T, data []byte) {
		h, err := ParseHeader(data)
		if err != nil {
			return
		}
		var out [HeaderSize]byte
		h.Put(out[:])
		if !bytes.Equal(out[:], data[:HeaderSize]) {
			t.Fatalf("header re-encodes differently")
		}
	})
}
