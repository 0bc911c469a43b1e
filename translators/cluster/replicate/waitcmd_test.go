package replicate_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/loom-fs/loom/translators/cluster/replicate"
)

// "wait" answers once the full heal of a fresh brick is over and nothing
// waits (within milliseconds of the moment "status" first shows it), and
// while the heals
// are paused it answers at once instead of waiting for a copy that cannot
// end.
func TestWaitCommand(t *testing.T) {
	old, fresh, cl := newFreshPair(t)
	client(t, cl.top).resolve("/") // the root's lookup finds the fresh brick

	// A poller notes when "status" first shows the copy over.
	var copiedAt atomic.Int64
	stop := make(chan struct{})
	polled := make(chan struct{})
	go func() {
		defer close(polled)
		for {
			st, err := cl.top.Control(context.Background(), "status", nil)
			if s, ok := st.(*replicate.Status); err == nil && ok && s.Seconds > 0 && !s.FullRunning && s.Pending == 0 {
				copiedAt.CompareAndSwap(0, time.Now().UnixNano())
			}
			select {
			case <-stop:
				return
			case <-time.After(time.Millisecond):
			}
		}
	}()
	start := time.Now()
	st := cl.control(t, "wait", "20").(*replicate.Status)
	answered := time.Now()
	if answered.Sub(start) > 15*time.Second {
		t.Fatalf("wait took %v", answered.Sub(start))
	}
	time.Sleep(20 * time.Millisecond)
	close(stop)
	<-polled
	if at := copiedAt.Load(); at == 0 {
		t.Error("status never showed the copy over")
	} else if lag := answered.Sub(time.Unix(0, at)); lag > 100*time.Millisecond {
		t.Errorf("wait answered %v after status showed the copy over (it looks every 5 ms)", lag)
	}
	if st.Seconds == 0 || st.FullRunning || st.Pending != 0 {
		t.Fatalf("wait answered before the copy was over: %+v", st)
	}
	if in := cl.control(t, "info").(*replicate.Info); in.Pending != 0 {
		t.Errorf("wait answered with %d inodes waiting: %+v", in.Pending, in)
	}
	sameTrees(t, old, fresh)

	// Copied: it answers at once.
	start = time.Now()
	cl.control(t, "wait")
	if d := time.Since(start); d > time.Second {
		t.Errorf("wait on a copied volume took %v", d)
	}

	// Paused in the middle of another full heal: at once, paused.
	cl.control(t, "pause")
	cl.control(t, "full")
	start = time.Now()
	if st := cl.control(t, "wait", "5").(*replicate.Status); !st.Paused {
		t.Errorf("wait while paused: %+v", st)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("wait while paused took %v", d)
	}
	cl.control(t, "resume")
	cl.control(t, "wait", "20")

	if _, err := cl.top.Control(context.Background(), "wait", []string{"soon"}); err == nil {
		t.Error("wait soon: no error")
	}
}
