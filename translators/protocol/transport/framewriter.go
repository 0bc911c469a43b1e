package transport

import (
	"io"
	"net"
	"sync"
)

// FrameWriter writes whole frames from many goroutines onto one
// connection, one frame never interleaved with another, and gathers the
// frames that arrive while a write is under way into the next write (one
// writev for all of them). Unloaded, a frame is written at once by its
// own goroutine as with a plain mutex; under load (many requests or
// replies in flight on one connection, as a heal through protocol/client
// makes) the number of write system calls, and of reads on the other
// side, drops to one per batch.
//
// Write returns once the frame has been written (or the write failed),
// so its buffers may be reused after it returns. Defer queues a frame
// that needs no hurry (a one-way request): it leaves with the next frame
// written, or at Flush. The zero value is ready to use.
type FrameWriter struct {
	mu      sync.Mutex
	cond    sync.Cond // waiters for a batch to be written
	busy    bool      // a goroutine is writing
	queue   net.Buffers
	spare   net.Buffers // a written batch's slice, for the next queue
	next    uint64      // number of the batch being gathered in queue
	written uint64      // batches before this one are written (or failed)
	// err is the first write error and failed the batch it failed:
	// that batch and every later frame get err (a frame cut short
	// leaves the stream unusable, so nothing more is written).
	err    error
	failed uint64
}

// Write writes the buffers of one frame, in order, to w (every caller of
// one FrameWriter passes the same w), together with the frames deferred
// before it, and returns the error of the write that carried them.
func (f *FrameWriter) Write(w io.Writer, bufs ...[]byte) error {
	f.mu.Lock()
	if f.cond.L == nil {
		f.cond.L = &f.mu
	}
	if f.err != nil {
		err := f.err
		f.mu.Unlock()
		return err
	}
	f.enqueueLocked(bufs)
	return f.writeLocked(w, f.next)
}

// Defer queues the buffers of one frame without writing them: they leave
// with the next frame written (one writev for both), or at the next
// Flush. The buffers must stay unchanged until then. It reports whether
// the writer has failed (the frame is dropped then).
func (f *FrameWriter) Defer(bufs ...[]byte) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.cond.L == nil {
		f.cond.L = &f.mu
	}
	if f.err != nil {
		return f.err
	}
	f.enqueueLocked(bufs)
	return nil
}

// Flush writes the deferred frames, if any are still queued, to w.
func (f *FrameWriter) Flush(w io.Writer) error {
	f.mu.Lock()
	if f.cond.L == nil {
		f.cond.L = &f.mu
	}
	if f.err != nil || len(f.queue) == 0 {
		err := f.err
		f.mu.Unlock()
		return err
	}
	return f.writeLocked(w, f.next)
}

func (f *FrameWriter) enqueueLocked(bufs [][]byte) {
	for _, b := range bufs {
		if len(b) > 0 {
			f.queue = append(f.queue, b)
		}
	}
}

// writeLocked waits until batch mine (the one being gathered when the
// caller queued its frame) is written, writing it itself when nobody
// else does, and unlocks f.mu.
func (f *FrameWriter) writeLocked(w io.Writer, mine uint64) error {
	// Wait while another goroutine writes; whoever finds nobody writing
	// and its own frame still queued writes the queue (its frame and
	// those gathered with it).
	for f.busy && f.written <= mine {
		f.cond.Wait()
	}
	if f.written <= mine && f.err == nil {
		f.busy = true
		batch := f.queue
		f.queue, f.spare = f.spare[:0], nil
		f.next++
		f.mu.Unlock()
		var werr error
		if len(batch) == 1 {
			_, werr = w.Write(batch[0])
		} else {
			bufs := batch // WriteTo consumes its receiver
			_, werr = bufs.WriteTo(w)
		}
		clear(batch) // drop the references to the callers' buffers
		f.mu.Lock()
		f.spare = batch[:0]
		f.busy = false
		if werr != nil {
			f.err, f.failed = werr, mine
		}
		f.written = mine + 1
		if f.err != nil && len(f.queue) > 0 {
			// Frames queued after the failure are never written:
			// their batch counts as done (failed).
			f.queue = nil
			f.next++
			f.written = f.next
		}
		// Wake the writers of the batch just written and of the one
		// gathered meanwhile (one of them writes it).
		f.cond.Broadcast()
	}
	var err error
	if f.err != nil && mine >= f.failed {
		err = f.err
	}
	f.mu.Unlock()
	return err
}
