package transport

import (
	"bytes"
	"encoding/binary"
	"errors"
	"sync"
	"testing"
	"time"
)

// slowBuffer is a writer that takes a while per write (so frames gather
// behind it) and counts its writes.
type slowBuffer struct {
	mu     sync.Mutex
	buf    bytes.Buffer
	writes int
	fail   int // writes from this one on fail (0: never)
}

var errBroken = errors.New("broken pipe")

func (s *slowBuffer) Write(p []byte) (int, error) {
	time.Sleep(200 * time.Microsecond)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.writes++
	if s.fail > 0 && s.writes >= s.fail {
		return 0, errBroken
	}
	return s.buf.Write(p)
}

// TestFrameWriterFramesIntact writes frames (a header naming the frame
// and its length, then a payload) from many goroutines and checks every
// frame arrives whole and once. (How many writes a batch saves shows on
// a socket, where net.Buffers is one writev: strace of loom serve.)
func TestFrameWriterFramesIntact(t *testing.T) {
	var fw FrameWriter
	w := &slowBuffer{}
	const goroutines, each = 16, 50
	var wg sync.WaitGroup
	for g := 0; g < goroutines; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := 0; k < each; k++ {
				id := uint32(g*each + k)
				payload := bytes.Repeat([]byte{byte(id)}, int(id%97))
				hdr := make([]byte, 8)
				binary.BigEndian.PutUint32(hdr, id)
				binary.BigEndian.PutUint32(hdr[4:], uint32(len(payload)))
				if err := fw.Write(w, hdr, payload); err != nil {
					t.Error(err)
					return
				}
				// The caller may reuse its buffers once Write returns.
				clear(hdr)
				clear(payload)
			}
		}()
	}
	wg.Wait()
	seen := map[uint32]bool{}
	b := w.buf.Bytes()
	for len(b) > 0 {
		if len(b) < 8 {
			t.Fatalf("%d bytes left, not a header", len(b))
		}
		id, n := binary.BigEndian.Uint32(b), binary.BigEndian.Uint32(b[4:])
		if n != id%97 || len(b) < 8+int(n) {
			t.Fatalf("frame %d: length %d", id, n)
		}
		if !bytes.Equal(b[8:8+n], bytes.Repeat([]byte{byte(id)}, int(n))) {
			t.Fatalf("frame %d: payload mixed with another frame's", id)
		}
		if seen[id] {
			t.Fatalf("frame %d twice", id)
		}
		seen[id] = true
		b = b[8+n:]
	}
	if len(seen) != goroutines*each {
		t.Fatalf("%d frames arrived, want %d", len(seen), goroutines*each)
	}
}

// TestFrameWriterError checks a failed write reaches the frames it
// carried and every later one, and nothing is written after it.
func TestFrameWriterError(t *testing.T) {
	var fw FrameWriter
	w := &slowBuffer{fail: 3}
	for k := 0; k < 2; k++ {
		if err := fw.Write(w, []byte("ok")); err != nil {
			t.Fatalf("write %d: %v", k, err)
		}
	}
	var wg sync.WaitGroup
	errs := make([]error, 8)
	for g := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[g] = fw.Write(w, []byte("late"))
		}()
	}
	wg.Wait()
	for g, err := range errs {
		if !errors.Is(err, errBroken) {
			t.Errorf("frame %d after the failure: %v, want %v", g, err, errBroken)
		}
	}
	if err := fw.Write(w, []byte("after")); !errors.Is(err, errBroken) {
		t.Errorf("write after the failure: %v", err)
	}
	if w.writes != 3 || w.buf.String() != "okok" {
		t.Errorf("%d writes, %q written; want 3 and \"okok\"", w.writes, w.buf.String())
	}
}

// A deferred frame is not written by itself: it leaves, before the frame
// written next, in the same batch (one writev on a socket); or at Flush.
func TestFrameWriterDefer(t *testing.T) {
	var fw FrameWriter
	w := &slowBuffer{}
	if err := fw.Defer([]byte("one-")); err != nil {
		t.Fatal(err)
	}
	if err := fw.Defer([]byte("two-")); err != nil {
		t.Fatal(err)
	}
	if w.writes != 0 {
		t.Fatalf("deferred frames were written at once (%d writes)", w.writes)
	}
	if err := fw.Write(w, []byte("three")); err != nil {
		t.Fatal(err)
	}
	if got := w.buf.String(); got != "one-two-three" {
		t.Fatalf("after a write: %q, want \"one-two-three\"", got)
	}
	before := w.writes
	if err := fw.Flush(w); err != nil || w.writes != before {
		t.Fatalf("flush with nothing deferred wrote (%d writes, %v)", w.writes-before, err)
	}
	if err := fw.Defer([]byte("-four")); err != nil {
		t.Fatal(err)
	}
	if err := fw.Flush(w); err != nil {
		t.Fatal(err)
	}
	if got := w.buf.String(); got != "one-two-three-four" {
		t.Fatalf("after flush: %q", got)
	}
}
