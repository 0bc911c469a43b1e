package xlatortest

import (
	"context"
	"fmt"
	"reflect"
	"sync"

	"github.com/loom-fs/loom/xlator"
)

//go:generate go run gen_recorder.go

// RecorderType is the registered type of the Recorder, so volfile specs in
// tests can place one anywhere in a graph ("testing/recorder").
const RecorderType = "testing/recorder"

func init() {
	xlator.Register(xlator.Descriptor{
		Type:        RecorderType,
		Doc:         "records and counts every fop; forwards to its subvolume, or answers placeholder results without one",
		MinChildren: 0,
		MaxChildren: 1,
		New: func(cfg *xlator.Config) (xlator.Translator, error) {
			return &Recorder{Base: xlator.NewBase(cfg)}, nil
		},
	})
}

// Record is one fop seen by a Recorder: its name, its arguments as passed
// (buffers are not copied), and, once it returned, its results and error.
type Record struct {
	Fop     string
	Args    []any
	Results []any
	Err     error
	Done    bool
}

// Recorder is a translator for tests that records and counts every fop.
// With a subvolume it forwards each fop unchanged; without one it answers
// each fop with placeholder results (deterministic, non-zero values, the
// same for every call of a fop). Fail and FailAll script errors instead.
type Recorder struct {
	xlator.Base

	mu      sync.Mutex
	records []Record
	counts  map[string]int
	fail    map[string]error // by fop name; "" fails every fop
}

// NewRecorder returns a Recorder named name over child (nil for a leaf
// that answers placeholder results), wired with xlator.Attach.
func NewRecorder(name string, child xlator.Translator) *Recorder {
	cfg := &xlator.Config{Name: name, Type: RecorderType}
	if child != nil {
		cfg.Children = []xlator.Translator{child}
	}
	r := &Recorder{Base: xlator.NewBase(cfg)}
	xlator.Attach(r)
	return r
}

// Start announces a childless Recorder as up; one with a child passes on
// the child's events instead.
func (r *Recorder) Start(ctx context.Context) error {
	if r.FirstChild() == nil {
		r.Emit(xlator.EventChildUp)
	}
	return nil
}

// Fail makes every later call of fop return err without reaching the child.
func (r *Recorder) Fail(fop string, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fail == nil {
		r.fail = map[string]error{}
	}
	r.fail[fop] = err
}

// FailAll makes every later fop return err without reaching the child.
func (r *Recorder) FailAll(err error) { r.Fail("", err) }

// ClearFailures undoes Fail and FailAll.
func (r *Recorder) ClearFailures() {
	r.mu.Lock()
	r.fail = nil
	r.mu.Unlock()
}

// Records returns a copy of the fops seen since the last Reset, in call order.
func (r *Recorder) Records() []Record {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Record(nil), r.records...)
}

// Count returns how many times fop was called since the last Reset.
func (r *Recorder) Count(fop string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.counts[fop]
}

// Total returns how many fops were called since the last Reset.
func (r *Recorder) Total() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.records)
}

// Reset forgets the recorded fops and counts (scripted failures stay).
func (r *Recorder) Reset() {
	r.mu.Lock()
	r.records = nil
	r.counts = nil
	r.mu.Unlock()
}

func (r *Recorder) begin(fop string, args ...any) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.counts == nil {
		r.counts = map[string]int{}
	}
	r.counts[fop]++
	r.records = append(r.records, Record{Fop: fop, Args: args})
	return len(r.records) - 1
}

func (r *Recorder) end(id int, err error, results ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if id < len(r.records) { // a Reset may have come in between
		rec := &r.records[id]
		rec.Results, rec.Err, rec.Done = results, err, true
	}
}

func (r *Recorder) failure(fop string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err, ok := r.fail[fop]; ok {
		return err
	}
	return r.fail[""]
}

// scripted reports whether fop is answered by the Recorder itself although
// it has a child (a scripted failure).
func (r *Recorder) scripted(fop string) bool { return r.failure(fop) != nil }

// answer fills outs with fop's placeholder results, or returns the
// scripted failure.
func (r *Recorder) answer(fop string, outs ...any) error {
	if err := r.failure(fop); err != nil {
		return err
	}
	seed := 0
	for _, c := range fop {
		seed = seed*31 + int(c)
	}
	for i, o := range outs {
		fill(reflect.ValueOf(o).Elem(), seed%1000+10*i+1)
	}
	return nil
}

// fill sets v to a deterministic non-zero value derived from seed: every
// exported field, element and key gets its own number.
func fill(v reflect.Value, seed int) {
	switch v.Kind() {
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		v.SetInt(int64(seed))
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		v.SetUint(uint64(seed))
	case reflect.String:
		v.SetString(fmt.Sprintf("s%d", seed))
	case reflect.Array:
		for i := 0; i < v.Len(); i++ {
			fill(v.Index(i), seed+i)
		}
	case reflect.Slice:
		s := reflect.MakeSlice(v.Type(), 2, 2)
		for i := 0; i < 2; i++ {
			fill(s.Index(i), seed+i)
		}
		v.Set(s)
	case reflect.Map:
		m := reflect.MakeMap(v.Type())
		k := reflect.New(v.Type().Key()).Elem()
		e := reflect.New(v.Type().Elem()).Elem()
		fill(k, seed)
		fill(e, seed+1)
		m.SetMapIndex(k, e)
		v.Set(m)
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			if v.Type().Field(i).IsExported() {
				fill(v.Field(i), seed+i+1)
			}
		}
	case reflect.Pointer:
		p := reflect.New(v.Type().Elem())
		fill(p.Elem(), seed)
		v.Set(p)
	}
}
