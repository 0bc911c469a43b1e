package main

// Results is one run's outcome, printed as a table or as JSON.
type Results struct {
	Command   string           `json:"command"`
	Date      string           `json:"date"`
	Commit    string           `json:"commit"`
	Machine   string           `json:"machine"`
	Rounds    int              `json:"rounds"`
	Quick     bool             `json:"quick"`
	Reference string           `json:"reference"`
	Targets   []TargetResult   `json:"targets"`
	Workloads []WorkloadResult `json:"workloads"`
	// Ceiling is the loopback TCP measured in the same run when a
	// network target runs (ceiling.go).
	Ceiling []CeilingResult `json:"tcp_ceiling,omitempty"`
	// CopiesCeiling is the tmpfs write of one and of two copies measured
	// in the same run when a replica target runs (ceiling_copies.go).
	CopiesCeiling []CeilingResult `json:"copies_ceiling,omitempty"`
}

// TargetResult describes one target and, if it failed, why.
type TargetResult struct {
	Name  string `json:"name"`
	Desc  string `json:"description"`
	Error string `json:"error,omitempty"`
}

// WorkloadResult is one table row: a workload's figures on every target.
type WorkloadResult struct {
	Name  string `json:"name"`
	Unit  string `json:"unit"`
	Cells []Cell `json:"cells"`
}

// Cell is one workload on one target: every round's rate, their median,
// and the median's ratio to the reference target's median.
type Cell struct {
	Target  string    `json:"target"`
	Samples []float64 `json:"samples"`
	Median  float64   `json:"median"`
	Ratio   float64   `json:"ratio,omitempty"`
}

// cell returns the row's cell for target, or nil.
func (w *WorkloadResult) cell(target string) *Cell {
	for i := range w.Cells {
		if w.Cells[i].Target == target {
			return &w.Cells[i]
		}
	}
	return nil
}

// add records one round's rate of target.
func (r *Results) add(workload, target string, rate float64) {
	for i := range r.Workloads {
		if w := &r.Workloads[i]; w.Name == workload {
			if c := w.cell(target); c != nil {
				c.Samples = append(c.Samples, rate)
			}
			return
		}
	}
}

// finish computes medians and ratios once all samples are in.
func (r *Results) finish() {
	for i := range r.Ceiling {
		r.Ceiling[i].Median = median(r.Ceiling[i].Samples)
	}
	for i := range r.CopiesCeiling {
		r.CopiesCeiling[i].Median = median(r.CopiesCeiling[i].Samples)
	}
	for wi := range r.Workloads {
		w := &r.Workloads[wi]
		ref := 0.0
		for ci := range w.Cells {
			c := &w.Cells[ci]
			c.Median = median(c.Samples)
			if c.Target == r.Reference {
				ref = c.Median
			}
		}
		for ci := range w.Cells {
			c := &w.Cells[ci]
			if ref > 0 && len(c.Samples) > 0 {
				c.Ratio = c.Median / ref
			}
		}
	}
}
