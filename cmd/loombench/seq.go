package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
)

const mib = 1 << 20

// seqWrite writes cfg.SeqSize bytes in cfg.Block writes to a new file,
// then fsyncs and closes it; all of that is timed.
func seqWrite(ctx context.Context, v *visit) (float64, error) {
	p := seqPath(v)
	f, err := os.OpenFile(p, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
	if err != nil {
		return 0, fmt.Errorf("seq-write: %w", err)
	}
	n := v.cfg.SeqSize / int64(v.cfg.Block)
	for i := int64(0); i < n; i++ {
		if err := checkCtx(ctx, int(i)); err != nil {
			f.Close()
			return 0, err
		}
		if _, err := f.Write(v.bufs.block); err != nil {
			f.Close()
			return 0, fmt.Errorf("seq-write %s: %w", p, err)
		}
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return 0, fmt.Errorf("seq-write fsync %s: %w", p, err)
	}
	if err := f.Close(); err != nil {
		return 0, fmt.Errorf("seq-write close %s: %w", p, err)
	}
	return float64(n*int64(v.cfg.Block)) / mib, nil
}

// seqRead reads the file seqWrite wrote, in cfg.Block reads, to EOF,
// after dropBefore emptied the page cache.
func seqRead(ctx context.Context, v *visit) (float64, error) {
	p := seqPath(v)
	f, err := os.Open(p)
	if err != nil {
		return 0, fmt.Errorf("seq-read: %w", err)
	}
	defer f.Close()
	var total int64
	for i := 0; ; i++ {
		if err := checkCtx(ctx, i); err != nil {
			return 0, err
		}
		n, err := f.Read(v.bufs.read)
		total += int64(n)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return 0, fmt.Errorf("seq-read %s: %w", p, err)
		}
	}
	if want := v.cfg.SeqSize / int64(v.cfg.Block) * int64(v.cfg.Block); total != want {
		return 0, fmt.Errorf("seq-read %s: read %d bytes, wrote %d", p, total, want)
	}
	return float64(total) / mib, nil
}

func removeSeq(ctx context.Context, v *visit) error {
	if err := os.Remove(seqPath(v)); err != nil {
		return fmt.Errorf("seq cleanup: %w", err)
	}
	return nil
}
