package delay_test

import (
	"context"
	"errors"
	"syscall"
	"testing"
	"time"

	"github.com/loom-fs/loom/examples/custom-translator/delay"
	_ "github.com/loom-fs/loom/translators/storage/posix"
	"github.com/loom-fs/loom/xlator"
	"github.com/loom-fs/loom/xlator/xlatortest"
)

// The whole conformance suite passes through debug/delay over a real brick.
func TestConformance(t *testing.T) {
	xlatortest.Run(t, func(t *testing.T) xlator.Translator {
		return xlatortest.NewStack(t, xlatortest.Layer("debug/delay", "latency", "1ms"))
	})
}

// Every fop reaches the child unchanged, reads and writes included.
func TestForwardsEverything(t *testing.T) {
	xlatortest.CheckForwarding(t, func(child xlator.Translator) xlator.Translator {
		return xlatortest.Wrap(t, "debug/delay", child, "latency", "1ms")
	})
}

func TestWritesWait(t *testing.T) {
	leaf := xlatortest.NewRecorder("leaf", nil)
	d := xlatortest.Wrap(t, "debug/delay", leaf, "latency", "50ms").(*delay.Delay)
	fd := xlator.NewFD(xlator.RootLoc().Child("f"), syscall.O_RDWR, false)
	start := time.Now()
	if _, err := d.Write(context.Background(), xlator.RootCall(), fd, []byte("x"), 0); err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took < 50*time.Millisecond {
		t.Fatalf("write took %v, want at least 50ms", took)
	}
	// A caller that gives up gets EINTR, and the child never sees the write.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Millisecond)
	defer cancel()
	if _, err := d.Write(ctx, xlator.RootCall(), fd, []byte("x"), 0); !errors.Is(err, syscall.EINTR) {
		t.Fatalf("cancelled write: %v, want EINTR", err)
	}
	if n := leaf.Count("Write"); n != 1 {
		t.Fatalf("the child saw %d writes, want 1", n)
	}
}
