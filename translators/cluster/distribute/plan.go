package distribute

import "time"

// Action is what rebalance does with one entry of a subvolume.
type Action int

// Rebalance actions.
const (
	Leave   Action = iota // it is where the layout says (or is not a file)
	Migrate               // move it to the hashed subvolume
	SkipHardLinks
	SkipTargetFull
)

// String names the action, as status and logs show it.
func (a Action) String() string {
	return [...]string{"leave", "migrate", "skip: hard links", "skip: target full"}[a]
}

// EntryFacts are what rebalance knows of one entry found on subvolume On.
type EntryFacts struct {
	Dir, Link    bool
	Nlink        uint32
	On, Hashed   int
	TargetFull   bool // the hashed subvolume is short of space (min-free-disk)
	Decommission bool // On is being drained
}

// Decide returns what rebalance does with an entry: data files not on
// their hashed subvolume move there, except files with several hard
// links (their names may hash to different places) and files whose
// target is full — unless their subvolume is being drained, which must
// end empty.
func Decide(f EntryFacts) Action {
	switch {
	case f.Dir, f.Link, f.On == f.Hashed:
		return Leave
	case f.Nlink > 1:
		return SkipHardLinks
	case f.TargetFull && !f.Decommission:
		return SkipTargetFull
	}
	return Migrate
}

// Progress is a rebalance's counters at one moment.
type Progress struct {
	Files, Bytes           int64 // migrated
	TotalFiles, TotalBytes int64 // estimated to migrate (counted first)
	Elapsed                time.Duration
}

// Rates returns files/s, bytes/s and the estimated time left (0 when it
// cannot be told yet).
func (p Progress) Rates() (filesPerSec, bytesPerSec float64, eta time.Duration) {
	secs := p.Elapsed.Seconds()
	if secs <= 0 {
		return 0, 0, 0
	}
	filesPerSec = float64(p.Files) / secs
	bytesPerSec = float64(p.Bytes) / secs
	switch {
	case p.TotalBytes > 0 && bytesPerSec > 0 && p.Bytes > 0:
		left := max(p.TotalBytes-p.Bytes, 0)
		eta = time.Duration(float64(left) / bytesPerSec * float64(time.Second))
	case p.TotalFiles > 0 && filesPerSec > 0:
		left := max(p.TotalFiles-p.Files, 0)
		eta = time.Duration(float64(left) / filesPerSec * float64(time.Second))
	}
	return filesPerSec, bytesPerSec, eta
}
