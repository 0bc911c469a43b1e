package xlator

import (
	"fmt"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"
)

// OptionType is the type of an option's value.
type OptionType int

// Option types.
const (
	TypeString     OptionType = iota // any text
	TypeBool                         // on/off, yes/no, true/false, enable/disable, 1/0
	TypeInt                          // a whole number, within Min..Max when they are set
	TypeSize                         // bytes with an optional suffix: 4096, 64KB, 1MiB, 2GB
	TypeDuration                     // 42s, 1m30s, 500ms, or a plain number of seconds
	TypeEnum                         // one of Allowed
	TypePath                         // an absolute path
	TypeStringList                   // comma- or space-separated words
	TypePercent                      // 0..100, with an optional % sign
)

// String names the type, as shown by "loom help".
func (t OptionType) String() string {
	return [...]string{"string", "bool", "int", "size", "duration", "enum", "path", "list", "percent"}[t]
}

// OptionDef declares one option of a translator type. A Key may contain one
// "*" standing for any non-empty run of characters, for families of options
// such as "auth.addr.*.allow".
type OptionDef struct {
	Key      string
	Type     OptionType
	Default  string // "" means no default (unset)
	Required bool
	Min, Max int64    // TypeInt/TypeSize/TypeDuration(ms) bounds when Min < Max
	Allowed  []string // TypeEnum choices
	Help     string
}

// Options are a translator's validated option values. Accessors panic on a
// key that is not declared in the schema, since that is a programming error
// caught by the first test.
type Options struct {
	defs   []OptionDef
	values map[string]string
	set    map[string]bool
}

// ParseBool accepts the spellings GlusterFS accepts.
func ParseBool(s string) (bool, error) {
	switch strings.ToLower(s) {
	case "on", "yes", "true", "enable", "1":
		return true, nil
	case "off", "no", "false", "disable", "0":
		return false, nil
	}
	return false, fmt.Errorf("%q is not a boolean (on/off, yes/no, true/false, enable/disable, 1/0)", s)
}

// ParseSize parses a byte count with an optional K/M/G/T suffix (KB, KiB, k
// all mean 1024).
func ParseSize(s string) (int64, error) {
	t := strings.TrimSpace(s)
	mult := int64(1)
	low := strings.ToLower(t)
	for _, suf := range []struct {
		s string
		m int64
	}{{"kib", 1 << 10}, {"mib", 1 << 20}, {"gib", 1 << 30}, {"tib", 1 << 40},
		{"kb", 1 << 10}, {"mb", 1 << 20}, {"gb", 1 << 30}, {"tb", 1 << 40},
		{"k", 1 << 10}, {"m", 1 << 20}, {"g", 1 << 30}, {"t", 1 << 40}, {"b", 1}} {
		if strings.HasSuffix(low, suf.s) {
			mult = suf.m
			t = strings.TrimSpace(t[:len(t)-len(suf.s)])
			break
		}
	}
	n, err := strconv.ParseInt(t, 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("%q is not a size (a number of bytes, optionally with KB, MB, GB or TB)", s)
	}
	if n > (1<<62)/mult {
		return 0, fmt.Errorf("%q is too large", s)
	}
	return n * mult, nil
}

// ParseDuration parses a Go duration or a plain number of seconds.
func ParseDuration(s string) (time.Duration, error) {
	if n, err := strconv.ParseFloat(s, 64); err == nil && n >= 0 {
		return time.Duration(n * float64(time.Second)), nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("%q is not a duration (such as 10s, 500ms, 1m, or a number of seconds)", s)
	}
	return d, nil
}

// SplitList splits a list value at commas and white space.
func SplitList(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' })
}

// keyMatches reports whether key fits the declared pattern.
func keyMatches(pattern, key string) bool {
	if !strings.Contains(pattern, "*") {
		return pattern == key
	}
	i := strings.Index(pattern, "*")
	pre, suf := pattern[:i], pattern[i+1:]
	if len(key) < len(pre)+len(suf)+1 || !strings.HasPrefix(key, pre) || !strings.HasSuffix(key, suf) {
		return false
	}
	return true
}

// check validates value against the definition.
func (d *OptionDef) check(value string) error {
	switch d.Type {
	case TypeBool:
		_, err := ParseBool(value)
		return err
	case TypeInt:
		n, err := strconv.ParseInt(value, 10, 64)
		if err != nil {
			return fmt.Errorf("%q is not a whole number", value)
		}
		if d.Min < d.Max && (n < d.Min || n > d.Max) {
			return fmt.Errorf("%d is outside %d..%d", n, d.Min, d.Max)
		}
	case TypeSize:
		n, err := ParseSize(value)
		if err != nil {
			return err
		}
		if d.Min < d.Max && (n < d.Min || n > d.Max) {
			return fmt.Errorf("%s is outside %d..%d bytes", value, d.Min, d.Max)
		}
	case TypeDuration:
		v, err := ParseDuration(value)
		if err != nil {
			return err
		}
		if d.Min < d.Max && (v.Milliseconds() < d.Min || v.Milliseconds() > d.Max) {
			return fmt.Errorf("%s is outside %v..%v", value, time.Duration(d.Min)*time.Millisecond, time.Duration(d.Max)*time.Millisecond)
		}
	case TypeEnum:
		for _, a := range d.Allowed {
			if a == value {
				return nil
			}
		}
		return fmt.Errorf("%q is not one of %s", value, strings.Join(d.Allowed, ", "))
	case TypePath:
		if !path.IsAbs(value) {
			return fmt.Errorf("%q is not an absolute path", value)
		}
	case TypePercent:
		n, err := strconv.ParseFloat(strings.TrimSuffix(value, "%"), 64)
		if err != nil || n < 0 || n > 100 {
			return fmt.Errorf("%q is not a percentage from 0 to 100", value)
		}
	}
	return nil
}

// NewOptions validates the given options against defs and fills defaults.
// Errors name the option's position, the volume and the key.
func NewOptions(defs []OptionDef, given []OptionSpec, volume string) (*Options, error) {
	o := &Options{defs: defs, values: map[string]string{}, set: map[string]bool{}}
	seen := map[string]Pos{}
	for _, g := range given {
		def := o.def(g.Key)
		if def == nil {
			return nil, fmt.Errorf("%s: volume %q: unknown option %q%s", g.Pos, volume, g.Key, suggest(defs, g.Key))
		}
		if prev, dup := seen[g.Key]; dup {
			return nil, fmt.Errorf("%s: volume %q: option %q given twice (first at %s)", g.Pos, volume, g.Key, prev)
		}
		seen[g.Key] = g.Pos
		if err := def.check(g.Value); err != nil {
			return nil, fmt.Errorf("%s: volume %q: option %q: %v", g.Pos, volume, g.Key, err)
		}
		o.values[g.Key] = g.Value
		o.set[g.Key] = true
	}
	for _, d := range defs {
		if d.Required && !strings.Contains(d.Key, "*") && !o.set[d.Key] {
			return nil, &MissingOptionError{Volume: volume, Key: d.Key, Help: d.Help}
		}
	}
	return o, nil
}

// MissingOptionError reports a required option that the volume lacks. The
// graph builder adds the volume's position and type to it.
type MissingOptionError struct {
	Volume string
	Key    string
	Help   string
}

// Error says which option is missing and what it is for.
func (e *MissingOptionError) Error() string {
	return fmt.Sprintf("volume %q: required option %q is missing (%s)", e.Volume, e.Key, e.Help)
}

// suggest offers the closest declared key for a misspelled one.
func suggest(defs []OptionDef, key string) string {
	best, bestD := "", 4
	for _, d := range defs {
		if dist := editDistance(d.Key, key); dist < bestD {
			best, bestD = d.Key, dist
		}
	}
	if best == "" {
		keys := make([]string, 0, len(defs))
		for _, d := range defs {
			keys = append(keys, d.Key)
		}
		sort.Strings(keys)
		if len(keys) == 0 {
			return " (this type takes no options)"
		}
		return " (known options: " + strings.Join(keys, ", ") + ")"
	}
	return fmt.Sprintf(" (did you mean %q?)", best)
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			c := 1
			if a[i-1] == b[j-1] {
				c = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+c)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

func (o *Options) def(key string) *OptionDef {
	for i := range o.defs {
		if keyMatches(o.defs[i].Key, key) {
			return &o.defs[i]
		}
	}
	return nil
}

func (o *Options) raw(key string) string {
	if v, ok := o.values[key]; ok {
		return v
	}
	d := o.def(key)
	if d == nil {
		panic(fmt.Sprintf("xlator: option %q is not declared", key))
	}
	return d.Default
}

// IsSet reports whether key was given in the volfile (not defaulted).
func (o *Options) IsSet(key string) bool { return o.set[key] }

// String returns the option's text ("" when unset without default).
func (o *Options) String(key string) string { return o.raw(key) }

// Bool returns a TypeBool option.
func (o *Options) Bool(key string) bool {
	b, _ := ParseBool(o.raw(key))
	return b
}

// Int returns a TypeInt option (0 when unset without default).
func (o *Options) Int(key string) int64 {
	n, _ := strconv.ParseInt(o.raw(key), 10, 64)
	return n
}

// Size returns a TypeSize option in bytes.
func (o *Options) Size(key string) int64 {
	n, _ := ParseSize(o.raw(key))
	return n
}

// Duration returns a TypeDuration option.
func (o *Options) Duration(key string) time.Duration {
	d, _ := ParseDuration(o.raw(key))
	return d
}

// Percent returns a TypePercent option as a number from 0 to 100.
func (o *Options) Percent(key string) float64 {
	n, _ := strconv.ParseFloat(strings.TrimSuffix(o.raw(key), "%"), 64)
	return n
}

// List returns a TypeStringList option.
func (o *Options) List(key string) []string { return SplitList(o.raw(key)) }

// Matching returns the given keys that fit a pattern declared with "*",
// sorted, with their values.
func (o *Options) Matching(pattern string) map[string]string {
	out := map[string]string{}
	for k, v := range o.values {
		if keyMatches(pattern, k) {
			out[k] = v
		}
	}
	return out
}

// Keys returns the keys given in the volfile, sorted.
func (o *Options) Keys() []string {
	keys := make([]string, 0, len(o.values))
	for k := range o.values {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
