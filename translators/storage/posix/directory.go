package posix

// Directory returns the brick directory as given in the volfile. Brick-side
// translators stacked above (features/index) keep their own on-disk state
// beneath its hidden .loom directory, which clients never see.
func (p *Posix) Directory() string { return p.dir }
