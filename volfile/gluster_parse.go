package volfile

import (
	"github.com/loom-fs/loom/xlator"
)

// ParseGluster reads a volfile in GlusterFS syntax. filename is used in
// positions and error messages.
//
// The grammar is GlusterFS's: a sequence of
//
//	volume NAME
//	  type TYPE
//	  option KEY VALUE
//	  subvolumes NAME...
//	end-volume
//
// where type, options and subvolumes may come in any order, type is
// required, and type and subvolumes are given at most once.
func ParseGluster(filename string, data []byte) ([]xlator.VolumeSpec, error) {
	p := &glusterParser{lx: newLexer(filename, data)}
	var specs []xlator.VolumeSpec
	for {
		t, err := p.lx.next()
		if err != nil {
			return nil, err
		}
		switch t.kind {
		case tokEOF:
			return specs, nil
		case tokVolume:
			v, err := p.volume(t)
			if err != nil {
				return nil, err
			}
			specs = append(specs, v)
		default:
			return nil, errorf(t.pos, "expected `volume`, found %s", t.describe())
		}
	}
}

type glusterParser struct {
	lx *lexer
}

// word reads the word that must follow the keyword kw.
func (p *glusterParser) word(what string, after token) (token, error) {
	t, err := p.lx.next()
	if err != nil {
		return token{}, err
	}
	if t.kind != tokWord {
		return token{}, errorf(t.pos, "%s after `%s` at %s, found %s%s", what, after.text, after.pos, t.describe(), keywordHint(t, after))
	}
	return t, nil
}

// keywordHint explains how to use a keyword as a value, when t is a
// keyword on the same line as the token it follows (so it was probably
// meant as a value, not as the start of the next line).
func keywordHint(t, after token) string {
	if t.kind == tokEOF || t.kind == tokWord || t.pos.Line != after.pos.Line {
		return ""
	}
	return " (to use it as a name or value, write it in double quotes)"
}

// volume parses one volume after its `volume` keyword.
func (p *glusterParser) volume(start token) (xlator.VolumeSpec, error) {
	name, err := p.word("expected a volume name", start)
	if err != nil {
		return xlator.VolumeSpec{}, err
	}
	v := xlator.VolumeSpec{Name: name.text, Pos: start.pos}
	var typeTok, subTok *token
	options := map[string]xlator.Pos{}
	for {
		t, err := p.lx.next()
		if err != nil {
			return v, err
		}
		switch t.kind {
		case tokEnd:
			if typeTok == nil {
				return v, errorf(t.pos, "volume %q has no `type` (it started at %s)", v.Name, v.Pos)
			}
			return v, nil
		case tokEOF:
			return v, errorf(v.Pos, "unterminated volume %q started at %s: expected `end-volume` before the end of the file", v.Name, v.Pos)
		case tokVolume:
			return v, errorf(t.pos, "expected `end-volume` before `volume` at %s (volume %q started at %s)", t.pos, v.Name, v.Pos)
		case tokType:
			if typeTok != nil {
				return v, errorf(t.pos, "`type` given twice in volume %q (first at %s)", v.Name, typeTok.pos)
			}
			tt := t
			typeTok = &tt
			w, err := p.word("expected a translator type", t)
			if err != nil {
				return v, err
			}
			v.Type, v.TypePos = w.text, w.pos
		case tokOption:
			key, err := p.word("option without a key: expected a key", t)
			if err != nil {
				return v, err
			}
			val, err := p.lx.next()
			if err != nil {
				return v, err
			}
			if val.kind != tokWord {
				return v, errorf(val.pos, "option %s without a value (found %s)%s", quoteWord(key.text), val.describe(), keywordHint(val, key))
			}
			if first, dup := options[key.text]; dup {
				return v, errorf(key.pos, "option %s given twice in volume %q (first at %s); GlusterFS would silently keep the last, Loom refuses", quoteWord(key.text), v.Name, first)
			}
			options[key.text] = key.pos
			v.Options = append(v.Options, xlator.OptionSpec{Key: key.text, Value: val.text, Pos: key.pos})
		case tokSubvols:
			if subTok != nil {
				return v, errorf(t.pos, "`subvolumes` given twice in volume %q (first at %s)", v.Name, subTok.pos)
			}
			tt := t
			subTok = &tt
			for {
				w, err := p.lx.peek()
				if err != nil {
					return v, err
				}
				if w.kind != tokWord {
					break
				}
				p.lx.next()
				v.Subvolumes = append(v.Subvolumes, xlator.SubvolumeRef{Name: w.text, Pos: w.pos})
			}
			if len(v.Subvolumes) == 0 {
				w, _ := p.lx.peek()
				return v, errorf(t.pos, "`subvolumes` without names in volume %q (found %s)%s", v.Name, w.describe(), keywordHint(w, t))
			}
		default:
			return v, errorf(t.pos, "unexpected %s in volume %q: expected `type`, `option`, `subvolumes` or `end-volume`", t.describe(), v.Name)
		}
	}
}
