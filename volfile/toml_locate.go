package volfile

import (
	"bytes"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/BurntSushi/toml"
)

// BurntSushi/toml v1.6 gives the order of keys (MetaData.Keys) but keeps
// their positions private. keyLocator recovers them: it scans text that the
// library has already accepted, recording where each key (and each table
// header) is written, and matches those to MetaData.Keys in document order.
// It never judges the text; if it ever lost track, a key would simply get
// a position without a line.

// keySite is where one key is written in the TOML text.
type keySite struct {
	path  []string
	off   int   // start of the key (or of the table header)
	value int   // start of the value, -1 for a table header
	elems []int // starts of the top-level elements of an array value
}

type tomlScanner struct {
	data  []byte
	i     int
	sites []keySite
}

// locateKeys returns the positions of keys, in the order of keys: for
// each one the site of the key and the site of its value (-1 when not
// found). elems holds the starts of array elements.
func locateKeys(data []byte, keys []toml.Key) []keySite {
	s := &tomlScanner{data: data}
	s.document()
	out := make([]keySite, len(keys))
	next := 0
	for i, k := range keys {
		out[i] = keySite{off: -1, value: -1}
		for j := next; j < len(s.sites); j++ {
			if slices.Equal(s.sites[j].path, k) {
				out[i] = s.sites[j]
				next = j + 1
				break
			}
		}
	}
	return out
}

func (s *tomlScanner) eof() bool { return s.i >= len(s.data) }

// skipSpace skips spaces and tabs, and with nl also line breaks and
// comments.
func (s *tomlScanner) skipSpace(nl bool) {
	for !s.eof() {
		switch c := s.data[s.i]; {
		case c == ' ' || c == '\t':
			s.i++
		case nl && (c == '\n' || c == '\r'):
			s.i++
		case nl && c == '#':
			s.skipLine()
		default:
			return
		}
	}
}

func (s *tomlScanner) skipLine() {
	for !s.eof() && s.data[s.i] != '\n' {
		s.i++
	}
}

// document scans top-level statements: table headers and key/value pairs.
func (s *tomlScanner) document() {
	var table []string
	for {
		s.skipSpace(true)
		if s.eof() {
			return
		}
		start := s.i
		if s.data[s.i] == '[' {
			s.i++
			if !s.eof() && s.data[s.i] == '[' {
				s.i++
			}
			table = s.key()
			s.sites = append(s.sites, keySite{path: table, off: start, value: -1})
			s.skipLine()
			continue
		}
		s.pair(table)
		s.skipLine() // the rest is a comment, or a date-time's time part
		if s.i == start {
			s.i++ // never stall on text the scanner does not understand
		}
	}
}

// pair scans "key = value" within the table prefix.
func (s *tomlScanner) pair(prefix []string) {
	start := s.i
	path := append(slices.Clone(prefix), s.key()...)
	s.skipSpace(false)
	if s.eof() || s.data[s.i] != '=' {
		return
	}
	s.i++
	s.skipSpace(false)
	site := keySite{path: path, off: start, value: s.i}
	at := len(s.sites)
	s.sites = append(s.sites, site)
	elems := s.value(path)
	s.sites[at].elems = elems
}

// value skips one value; keys inside an inline table are recorded under
// path. For an array it returns the starts of its elements.
func (s *tomlScanner) value(path []string) []int {
	if s.eof() {
		return nil
	}
	switch {
	case s.has(`"""`):
		s.multiline('"')
	case s.has(`'''`):
		s.multiline('\'')
	case s.data[s.i] == '"':
		s.i++
		for !s.eof() && s.data[s.i] != '"' && s.data[s.i] != '\n' {
			if s.data[s.i] == '\\' {
				s.i++
			}
			s.i++
		}
		s.i++
	case s.data[s.i] == '\'':
		s.i++
		for !s.eof() && s.data[s.i] != '\'' && s.data[s.i] != '\n' {
			s.i++
		}
		s.i++
	case s.data[s.i] == '[':
		return s.array()
	case s.data[s.i] == '{':
		s.inlineTable(path)
	default:
		for !s.eof() && !strings.ContainsRune(" \t\r\n,]}#", rune(s.data[s.i])) {
			s.i++
		}
	}
	return nil
}

func (s *tomlScanner) has(p string) bool { return bytes.HasPrefix(s.data[s.i:], []byte(p)) }

// multiline skips a multi-line string quoted with three q's. A run of up
// to five quotes may end it (quotes inside, then the closing three).
func (s *tomlScanner) multiline(q byte) {
	s.i += 3
	for !s.eof() {
		c := s.data[s.i]
		if c == '\\' && q == '"' {
			s.i += 2
			continue
		}
		if c != q {
			s.i++
			continue
		}
		n := 0
		for !s.eof() && s.data[s.i] == q {
			n++
			s.i++
		}
		if n >= 3 {
			return
		}
	}
}

func (s *tomlScanner) array() []int {
	var elems []int
	s.i++ // [
	for {
		s.skipSpace(true)
		if s.eof() {
			return elems
		}
		if s.data[s.i] == ']' {
			s.i++
			return elems
		}
		start := s.i
		elems = append(elems, start)
		s.value(nil)
		s.skipSpace(true)
		if !s.eof() && s.data[s.i] == ',' {
			s.i++
		}
		if s.i == start {
			s.i++
		}
	}
}

func (s *tomlScanner) inlineTable(prefix []string) {
	s.i++ // {
	for {
		s.skipSpace(true)
		if s.eof() {
			return
		}
		if s.data[s.i] == '}' {
			s.i++
			return
		}
		start := s.i
		s.pair(prefix)
		s.skipSpace(true)
		if !s.eof() && s.data[s.i] == ',' {
			s.i++
		}
		if s.i == start {
			s.i++
		}
	}
}

func isBareKeyByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-'
}

// key reads a possibly dotted key and returns its parts, unquoted.
func (s *tomlScanner) key() []string {
	var parts []string
	for {
		s.skipSpace(false)
		if s.eof() {
			return parts
		}
		switch c := s.data[s.i]; {
		case c == '"':
			parts = append(parts, s.basicString())
		case c == '\'':
			s.i++
			start := s.i
			for !s.eof() && s.data[s.i] != '\'' && s.data[s.i] != '\n' {
				s.i++
			}
			parts = append(parts, string(s.data[start:s.i]))
			s.i++
		default:
			start := s.i
			for !s.eof() && isBareKeyByte(s.data[s.i]) {
				s.i++
			}
			parts = append(parts, string(s.data[start:s.i]))
		}
		s.skipSpace(false)
		if s.eof() || s.data[s.i] != '.' {
			return parts
		}
		s.i++
	}
}

// basicString reads a one-line basic string and decodes its escapes.
func (s *tomlScanner) basicString() string {
	s.i++ // "
	var b strings.Builder
	for !s.eof() && s.data[s.i] != '"' && s.data[s.i] != '\n' {
		c := s.data[s.i]
		if c != '\\' || s.i+1 >= len(s.data) {
			b.WriteByte(c)
			s.i++
			continue
		}
		e := s.data[s.i+1]
		s.i += 2
		switch e {
		case 'b':
			b.WriteByte('\b')
		case 't':
			b.WriteByte('\t')
		case 'n':
			b.WriteByte('\n')
		case 'f':
			b.WriteByte('\f')
		case 'r':
			b.WriteByte('\r')
		case 'e':
			b.WriteByte(0x1b)
		case 'x', 'u', 'U':
			n := map[byte]int{'x': 2, 'u': 4, 'U': 8}[e]
			if s.i+n > len(s.data) {
				s.i = len(s.data)
				break
			}
			v, err := strconv.ParseUint(string(s.data[s.i:s.i+n]), 16, 32)
			s.i += n
			if err == nil {
				b.WriteString(string(utf8.AppendRune(nil, rune(v))))
			}
		default:
			b.WriteByte(e)
		}
	}
	s.i++
	return b.String()
}
