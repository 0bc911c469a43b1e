package volfile

import (
	"fmt"
	"slices"
	"unicode/utf8"

	"github.com/loom-fs/loom/xlator"
)

// Error is a volfile syntax error at a position. Its text is
// "file:line:col: message".
type Error struct {
	Pos xlator.Pos
	Msg string
	Err error // the underlying error (a TOML library error), if any
}

// Error formats the position and the message.
func (e *Error) Error() string { return e.Pos.String() + ": " + e.Msg }

// Unwrap returns the underlying error, if any.
func (e *Error) Unwrap() error { return e.Err }

func errorf(pos xlator.Pos, format string, args ...any) *Error {
	return &Error{Pos: pos, Msg: fmt.Sprintf(format, args...)}
}

// posAt converts a byte offset in data to a 1-based line and a 1-based
// column counted in runes. It scans data; use a lineIndex for many
// lookups in one text.
func posAt(file string, data []byte, off int) xlator.Pos {
	return newLineIndex(file, data).pos(off)
}

// lineIndex finds positions in one text quickly: it holds where each
// line starts.
type lineIndex struct {
	file   string
	data   []byte
	starts []int // byte offset of the start of each line
}

func newLineIndex(file string, data []byte) *lineIndex {
	starts := []int{0}
	for i, c := range data {
		if c == '\n' {
			starts = append(starts, i+1)
		}
	}
	return &lineIndex{file: file, data: data, starts: starts}
}

// pos converts a byte offset to a position (clamped to the text).
func (li *lineIndex) pos(off int) xlator.Pos {
	off = max(0, min(off, len(li.data)))
	line, _ := slices.BinarySearch(li.starts, off+1) // lines starting at or before off
	start := li.starts[line-1]
	return xlator.Pos{File: li.file, Line: line, Col: utf8.RuneCount(li.data[start:off]) + 1}
}

// isControl reports the characters a volfile name or value may not hold:
// the C0 controls other than tab, newline and carriage return, and DEL.
// (TOML cannot hold them unescaped and GlusterFS syntax has no escape for
// them, so refusing them keeps conversion lossless.)
func isControl(r rune) bool {
	return (r < 0x20 && r != '\t' && r != '\n' && r != '\r') || r == 0x7f
}

// badText finds the first invalid UTF-8 sequence or control character
// in s. It returns its byte index and a description, or -1 and "".
func badText(s string) (int, string) {
	for i, r := range s {
		if r == utf8.RuneError {
			if _, size := utf8.DecodeRuneInString(s[i:]); size <= 1 {
				return i, "invalid UTF-8"
			}
		}
		if isControl(r) {
			return i, fmt.Sprintf("control character %U", r)
		}
	}
	return -1, ""
}
