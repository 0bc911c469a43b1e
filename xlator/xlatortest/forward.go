package xlatortest

import (
	"context"
	"reflect"
	"slices"
	"syscall"
	"testing"

	"github.com/loom-fs/loom/xlator"
)

// fwdKey marks the context CheckForwarding passes down, so it can tell the
// context reached the child (a translator may wrap it, never replace it).
type fwdKey struct{}

// fwdErrno is the error the recorder answers in the error pass: one no
// translator produces on its own.
const fwdErrno = syscall.EBADE

// CheckForwarding verifies by reflection that a passthrough translator
// forwards every method of xlator.Fops to its child unchanged: the child
// gets the same arguments (the same *FD, a context derived from the
// caller's), exactly once, and the caller gets the child's results and
// errors back. wrap builds the translator under test over the given child,
// a Recorder that answers placeholder results. except names fops the
// translator deliberately handles itself, and "Notify" to skip the check
// that child-up and child-down events reach the translator's parents.
func CheckForwarding(t *testing.T, wrap func(child xlator.Translator) xlator.Translator, except ...string) {
	t.Helper()
	fops := reflect.TypeFor[xlator.Fops]()
	for _, name := range except {
		if _, ok := fops.MethodByName(name); !ok && name != "Notify" {
			t.Fatalf("CheckForwarding: except names %q, which is not a method of xlator.Fops", name)
		}
	}
	rec := NewRecorder("recorder", nil)
	top := wrap(rec)
	if top == nil {
		t.Fatal("CheckForwarding: wrap returned nil")
	}
	if len(rec.Parents()) == 0 {
		xlator.Attach(top)
	}
	tv := reflect.ValueOf(top)
	for i := 0; i < fops.NumMethod(); i++ {
		m := fops.Method(i)
		if slices.Contains(except, m.Name) {
			continue
		}
		t.Run(m.Name, func(t *testing.T) {
			args := forwardArgs(m.Type, i)
			rec.ClearFailures()
			rec.Reset()
			out := tv.MethodByName(m.Name).Call(args)
			recs := rec.Records()
			var got []Record
			for _, r := range recs {
				if r.Fop == m.Name {
					got = append(got, r)
				}
			}
			if len(got) != 1 {
				t.Fatalf("%s reached the child %d times, want once (child saw %v)", m.Name, len(got), fopNames(recs))
			}
			compareArgs(t, m.Name, args, got[0].Args)
			if err := out[len(out)-1].Interface(); err != nil {
				t.Fatalf("%s returned %v; the child answered success", m.Name, err)
			}
			for j, r := range got[0].Results {
				if !reflect.DeepEqual(out[j].Interface(), r) {
					t.Errorf("%s result %d = %#v, the child answered %#v", m.Name, j, out[j].Interface(), r)
				}
			}

			rec.Reset()
			rec.FailAll(fwdErrno)
			out = tv.MethodByName(m.Name).Call(forwardArgs(m.Type, i))
			err, _ := out[len(out)-1].Interface().(error)
			if xlator.Errno(err) != fwdErrno {
				t.Errorf("%s returned %v when the child failed with %v", m.Name, err, fwdErrno)
			}
			if n := rec.Count(m.Name); n != 1 {
				t.Errorf("%s reached the child %d times when it failed, want once", m.Name, n)
			}
			rec.ClearFailures()
		})
	}
	if !slices.Contains(except, "Notify") {
		t.Run("Notify", func(t *testing.T) {
			var seen []xlator.Event
			xlator.SetEventListener(top, func(ev xlator.Event, _ xlator.Translator) { seen = append(seen, ev) })
			rec.Emit(xlator.EventChildDown)
			rec.Emit(xlator.EventChildUp)
			want := []xlator.Event{xlator.EventChildDown, xlator.EventChildUp}
			if !slices.Equal(seen, want) {
				t.Errorf("events from the child reached the top as %v, want %v", seen, want)
			}
		})
	}
}

// forwardArgs builds distinct, non-zero arguments for a method of Fops.
func forwardArgs(mt reflect.Type, method int) []reflect.Value {
	args := make([]reflect.Value, mt.NumIn())
	for j := range args {
		at := mt.In(j)
		switch at {
		case reflect.TypeFor[context.Context]():
			args[j] = reflect.ValueOf(context.WithValue(context.Background(), fwdKey{}, method))
		case reflect.TypeFor[*xlator.FD]():
			// Opened read-only, so that translators judging flags
			// (features/read-only) let the call through.
			loc := &xlator.Loc{Path: "/fwd/file", GFID: xlator.NewGFID(), Parent: xlator.NewGFID(), Name: "file"}
			args[j] = reflect.ValueOf(xlator.NewFD(loc, syscall.O_RDONLY, false))
		default:
			v := reflect.New(at).Elem()
			fill(v, 100*method+10*j+1)
			args[j] = v
		}
	}
	return args
}

func compareArgs(t *testing.T, fop string, sent []reflect.Value, got []any) {
	t.Helper()
	if len(got) != len(sent) {
		t.Fatalf("%s: the child got %d arguments, want %d", fop, len(got), len(sent))
	}
	for j, sv := range sent {
		want := sv.Interface()
		switch w := want.(type) {
		case context.Context:
			ctx, ok := got[j].(context.Context)
			if !ok || ctx == nil || ctx.Value(fwdKey{}) != w.Value(fwdKey{}) {
				t.Errorf("%s: the child got a context that does not derive from the caller's", fop)
			}
		case *xlator.FD:
			if got[j] != any(w) {
				t.Errorf("%s: argument %d: the child got a different *FD (one FD must travel down the whole graph)", fop, j)
			}
		default:
			if !reflect.DeepEqual(got[j], want) {
				t.Errorf("%s: argument %d: the child got %#v, want %#v", fop, j, got[j], want)
			}
		}
	}
}

func fopNames(recs []Record) []string {
	out := make([]string, len(recs))
	for i, r := range recs {
		out[i] = r.Fop
	}
	return out
}
