package volfile

import (
	"strings"
	"unicode/utf8"

	"github.com/loom-fs/loom/xlator"
)

// tokKind is the kind of a GlusterFS-syntax token.
type tokKind int

const (
	tokEOF     tokKind = iota
	tokWord            // a bare word or a quoted string
	tokVolume          // volume
	tokEnd             // end-volume
	tokType            // type
	tokOption          // option
	tokSubvols         // subvolumes (or subvolumeS, as GlusterFS allows)
)

// keywords maps the reserved words to their kinds. As in GlusterFS's
// lexer they are lower case, whole words, and reserved wherever they
// appear unquoted: a value that is a keyword must be quoted.
var keywords = map[string]tokKind{
	"volume":     tokVolume,
	"end-volume": tokEnd,
	"type":       tokType,
	"option":     tokOption,
	"subvolumes": tokSubvols,
	"subvolumeS": tokSubvols,
}

// token is one lexed token with where it starts.
type token struct {
	kind tokKind
	text string // the word's value (unquoted, unescaped)
	pos  xlator.Pos
}

// describe names the token for error messages.
func (t token) describe() string {
	switch t.kind {
	case tokEOF:
		return "end of file"
	case tokWord:
		return "word " + quoteWord(t.text)
	}
	return "`" + t.text + "`"
}

// lexer splits GlusterFS-syntax volfile text into tokens, following
// GlusterFS's graph.l: white space is space, tab, CR and LF; "#" starts a
// comment to the end of the line where a token would start; a word is a
// run of anything but white space, '"' and '\'; a double-quoted string is
// a word that may hold anything but a line break.
type lexer struct {
	file   string
	data   []byte
	off    int
	line   int
	col    int // of off, in runes, 1-based
	peeked *token
}

func newLexer(file string, data []byte) *lexer {
	lx := &lexer{file: file, data: data, line: 1, col: 1}
	if len(data) >= 3 && string(data[:3]) == "\uFEFF" {
		lx.off = 3 // a byte order mark is not part of the text
	}
	return lx
}

func (lx *lexer) pos() xlator.Pos { return xlator.Pos{File: lx.file, Line: lx.line, Col: lx.col} }

// advance moves past one rune and returns it.
func (lx *lexer) advance() rune {
	r, size := utf8.DecodeRune(lx.data[lx.off:])
	lx.off += size
	if r == '\n' {
		lx.line++
		lx.col = 1
	} else {
		lx.col++
	}
	return r
}

// peek returns the next token without consuming it.
func (lx *lexer) peek() (token, error) {
	if lx.peeked == nil {
		t, err := lx.lex()
		if err != nil {
			return token{}, err
		}
		lx.peeked = &t
	}
	return *lx.peeked, nil
}

// next returns the next token.
func (lx *lexer) next() (token, error) {
	t, err := lx.peek()
	lx.peeked = nil
	return t, err
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

// lex reads one token.
func (lx *lexer) lex() (token, error) {
	for lx.off < len(lx.data) {
		c := lx.data[lx.off]
		switch {
		case isSpace(c):
			lx.advance()
		case c == '#':
			for lx.off < len(lx.data) && lx.data[lx.off] != '\n' {
				lx.advance()
			}
		case c == '"':
			return lx.lexString()
		default:
			return lx.lexWord()
		}
	}
	return token{kind: tokEOF, pos: lx.pos()}, nil
}

// checkRune rejects what no word may hold: invalid UTF-8, control
// characters and backticks.
func (lx *lexer) checkRune(r rune, size int) error {
	switch {
	case r == utf8.RuneError && size <= 1:
		return errorf(lx.pos(), "invalid UTF-8 in volfile")
	case r == '`':
		return errorf(lx.pos(), "backtick: GlusterFS runs `...` through the shell and puts the output in the volfile; Loom refuses shell execution in volfiles (write the value itself, or quote it with \\` for a literal backtick)")
	case isControl(r):
		return errorf(lx.pos(), "control character %U in volfile", r)
	}
	return nil
}

// lexWord reads a bare word: everything up to white space, a quote or a
// backslash.
func (lx *lexer) lexWord() (token, error) {
	start := lx.pos()
	var b strings.Builder
	for lx.off < len(lx.data) {
		c := lx.data[lx.off]
		if isSpace(c) || c == '"' {
			break
		}
		if c == '\\' {
			return token{}, errorf(lx.pos(), "backslash outside a quoted string (write the word in double quotes, with \\\\ for a backslash)")
		}
		r, size := utf8.DecodeRune(lx.data[lx.off:])
		if err := lx.checkRune(r, size); err != nil {
			return token{}, err
		}
		lx.advance()
		b.WriteRune(r)
	}
	w := b.String()
	if k, ok := keywords[w]; ok {
		return token{kind: k, text: w, pos: start}, nil
	}
	return token{kind: tokWord, text: w, pos: start}, nil
}

// escapes are the backslash escapes of a quoted string. GlusterFS itself
// takes a backslash as "the next character, literally" (so "\n" is "n");
// Loom gives \n, \t and \r their usual meaning and refuses any other
// escape rather than guess.
var escapes = map[byte]rune{'\\': '\\', '"': '"', '`': '`', 'n': '\n', 't': '\t', 'r': '\r'}

// lexString reads a double-quoted string.
func (lx *lexer) lexString() (token, error) {
	start := lx.pos()
	lx.advance() // the opening quote
	var b strings.Builder
	for {
		if lx.off >= len(lx.data) || lx.data[lx.off] == '\n' {
			return token{}, errorf(start, "unterminated string: no closing \" on the same line (write \\n for a line break)")
		}
		c := lx.data[lx.off]
		switch c {
		case '"':
			lx.advance()
			return token{kind: tokWord, text: b.String(), pos: start}, nil
		case '\\':
			at := lx.pos()
			lx.advance()
			if lx.off >= len(lx.data) {
				continue
			}
			e, ok := escapes[lx.data[lx.off]]
			if !ok {
				r, _ := utf8.DecodeRune(lx.data[lx.off:])
				return token{}, errorf(at, "unknown escape \\%s in string (known: \\\\ \\\" \\` \\n \\t \\r)", string(r))
			}
			lx.advance()
			b.WriteRune(e)
		default:
			r, size := utf8.DecodeRune(lx.data[lx.off:])
			if r != '\t' && r != '\r' {
				if err := lx.checkRune(r, size); err != nil {
					return token{}, err
				}
			}
			lx.advance()
			b.WriteRune(r)
		}
	}
}
