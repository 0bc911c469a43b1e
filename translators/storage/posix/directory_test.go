package posix

import "testing"

// Translators above find the brick's directory through Directory.
func TestDirectory(t *testing.T) {
	p, dir := newBrick(t)
	if got := p.Directory(); got != dir {
		t.Fatalf("Directory() = %q, want %q", got, dir)
	}
}
