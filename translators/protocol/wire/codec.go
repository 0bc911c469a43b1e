package wire

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// ErrShort is returned when a message ends before its last field.
var ErrShort = errors.New("wire: message truncated")

// Enc appends little-endian fields to a byte slice.
type Enc struct {
	B []byte
}

// U8 appends one byte.
func (e *Enc) U8(v uint8) { e.B = append(e.B, v) }

// Bool appends a boolean as one byte, 0 or 1.
func (e *Enc) Bool(v bool) {
	if v {
		e.B = append(e.B, 1)
	} else {
		e.B = append(e.B, 0)
	}
}

// U16 appends a 16-bit value.
func (e *Enc) U16(v uint16) { e.B = binary.LittleEndian.AppendUint16(e.B, v) }

// U32 appends a 32-bit value.
func (e *Enc) U32(v uint32) { e.B = binary.LittleEndian.AppendUint32(e.B, v) }

// U64 appends a 64-bit value.
func (e *Enc) U64(v uint64) { e.B = binary.LittleEndian.AppendUint64(e.B, v) }

// I64 appends a signed 64-bit value.
func (e *Enc) I64(v int64) { e.U64(uint64(v)) }

// Bytes appends a 32-bit length and the bytes.
func (e *Enc) Bytes(b []byte) {
	e.U32(uint32(len(b)))
	e.B = append(e.B, b...)
}

// Str appends a 32-bit length and the string.
func (e *Enc) Str(s string) {
	e.U32(uint32(len(s)))
	e.B = append(e.B, s...)
}

// Dec reads little-endian fields from a byte slice. The first error
// sticks: later reads return zero values, and Err reports it.
type Dec struct {
	b   []byte
	err error
}

// NewDec returns a decoder of b.
func NewDec(b []byte) *Dec { return &Dec{b: b} }

// Err returns the first error met.
func (d *Dec) Err() error { return d.err }

// Fail records err unless an error is already recorded.
func (d *Dec) Fail(err error) {
	if d.err == nil {
		d.err = err
	}
}

// Len returns the bytes not read yet.
func (d *Dec) Len() int { return len(d.b) }

// Done fails the decoder if bytes are left over, and returns Err.
func (d *Dec) Done() error {
	if d.err == nil && len(d.b) != 0 {
		d.err = fmt.Errorf("wire: %d bytes left over after the message", len(d.b))
	}
	return d.err
}

func (d *Dec) take(n int) []byte {
	if d.err != nil {
		return nil
	}
	if n < 0 || n > len(d.b) {
		d.err = ErrShort
		return nil
	}
	v := d.b[:n:n]
	d.b = d.b[n:]
	return v
}

// U8 reads one byte.
func (d *Dec) U8() uint8 {
	b := d.take(1)
	if b == nil {
		return 0
	}
	return b[0]
}

// Bool reads a boolean; bytes other than 0 and 1 are an error.
func (d *Dec) Bool() bool {
	v := d.U8()
	if v > 1 {
		d.Fail(fmt.Errorf("wire: boolean byte %d", v))
	}
	return v == 1
}

// U16 reads a 16-bit value.
func (d *Dec) U16() uint16 {
	b := d.take(2)
	if b == nil {
		return 0
	}
	return binary.LittleEndian.Uint16(b)
}

// U32 reads a 32-bit value.
func (d *Dec) U32() uint32 {
	b := d.take(4)
	if b == nil {
		return 0
	}
	return binary.LittleEndian.Uint32(b)
}

// U64 reads a 64-bit value.
func (d *Dec) U64() uint64 {
	b := d.take(8)
	if b == nil {
		return 0
	}
	return binary.LittleEndian.Uint64(b)
}

// I64 reads a signed 64-bit value.
func (d *Dec) I64() int64 { return int64(d.U64()) }

// length reads a 32-bit length and checks it against max and against the
// bytes left, before anything is allocated for it.
func (d *Dec) length(what string, max int) int {
	n := d.U32()
	if d.err != nil {
		return 0
	}
	if int64(n) > int64(max) {
		d.Fail(fmt.Errorf("wire: %s of %d bytes exceeds the limit of %d", what, n, max))
		return 0
	}
	if int(n) > len(d.b) {
		d.Fail(ErrShort)
		return 0
	}
	return int(n)
}

// Bytes reads a length-prefixed byte string of at most max bytes. The
// result aliases the decoder's input (no copy).
func (d *Dec) Bytes(what string, max int) []byte {
	n := d.length(what, max)
	return d.take(n)
}

// Str reads a length-prefixed string of at most max bytes that contains
// no NUL byte.
func (d *Dec) Str(what string, max int) string {
	b := d.Bytes(what, max)
	for _, c := range b {
		if c == 0 {
			d.Fail(fmt.Errorf("wire: %s contains a NUL byte", what))
			return ""
		}
	}
	return string(b)
}

// Count reads a 32-bit element count of at most max, also bounded by the
// bytes left given that each element takes at least minSize bytes.
func (d *Dec) Count(what string, max, minSize int) int {
	n := d.U32()
	if d.err != nil {
		return 0
	}
	if int64(n) > int64(max) {
		d.Fail(fmt.Errorf("wire: %d %s exceed the limit of %d", n, what, max))
		return 0
	}
	if int64(n)*int64(minSize) > int64(len(d.b)) {
		d.Fail(ErrShort)
		return 0
	}
	return int(n)
}
