package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// writeJSON prints the results for machines.
func writeJSON(w io.Writer, r *Results) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(r); err != nil {
		return fmt.Errorf("write json: %w", err)
	}
	return nil
}

// writeTable prints the results for people: one row per workload, per
// target the median and its ratio to the reference.
func writeTable(w io.Writer, r *Results) error {
	fmt.Fprintf(w, "loombench  %s  commit %s  %s\n", r.Date, r.Commit, r.Machine)
	fmt.Fprintf(w, "command: %s\n", r.Command)
	fmt.Fprintf(w, "medians of %d round(s); ratio = median / %s median\n\n", r.Rounds, r.Reference)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	header := []string{"workload", "unit"}
	for _, t := range r.Targets {
		header = append(header, t.Name, "×"+r.Reference)
	}
	fmt.Fprintln(tw, strings.Join(header, "\t")+"\t")
	for _, wl := range r.Workloads {
		row := []string{wl.Name, wl.Unit}
		for _, t := range r.Targets {
			c := wl.cell(t.Name)
			if c == nil || len(c.Samples) == 0 {
				row = append(row, "-", "-")
				continue
			}
			ratio := "-"
			if c.Ratio > 0 {
				ratio = fmt.Sprintf("%.2fx", c.Ratio)
			}
			row = append(row, formatRate(c.Median), ratio)
		}
		fmt.Fprintln(tw, strings.Join(row, "\t")+"\t")
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("write table: %w", err)
	}
	if err := writeComparisons(w, r); err != nil {
		return err
	}
	fmt.Fprintln(w)
	for _, t := range r.Targets {
		line := fmt.Sprintf("%-14s %s", t.Name, t.Desc)
		if t.Error != "" {
			line += "\n               FAILED: " + strings.ReplaceAll(t.Error, "\n", "\n               ")
		}
		fmt.Fprintln(w, line)
	}
	return nil
}

// formatRate prints a rate with about four significant digits.
func formatRate(x float64) string {
	switch {
	case x >= 1000:
		return fmt.Sprintf("%.0f", x)
	case x >= 100:
		return fmt.Sprintf("%.1f", x)
	default:
		return fmt.Sprintf("%.2f", x)
	}
}

// writeComparisons prints the extra ratios of the comparisons whose two
// targets both have figures, and the TCP ceiling, if measured.
func writeComparisons(w io.Writer, r *Results) error {
	var cs []comparison
	for _, c := range comparisons {
		if r.hasFigures(c.A) && r.hasFigures(c.B) {
			cs = append(cs, c)
		}
	}
	if len(cs) > 0 {
		fmt.Fprintln(w)
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
		header := []string{"workload"}
		for _, c := range cs {
			header = append(header, c.A+" / "+c.B)
		}
		fmt.Fprintln(tw, strings.Join(header, "\t")+"\t")
		for _, wl := range r.Workloads {
			row := []string{wl.Name}
			for _, c := range cs {
				a, b := wl.cell(c.A), wl.cell(c.B)
				if a == nil || b == nil || a.Median <= 0 || b.Median <= 0 {
					row = append(row, "-")
					continue
				}
				row = append(row, fmt.Sprintf("%.2fx", a.Median/b.Median))
			}
			fmt.Fprintln(tw, strings.Join(row, "\t")+"\t")
		}
		if err := tw.Flush(); err != nil {
			return fmt.Errorf("write table: %w", err)
		}
	}
	if len(r.Ceiling) > 0 {
		fmt.Fprintf(w, "\nloopback TCP ceiling, same run (Go sender and receiver on 127.0.0.1, median of %d):\n", len(r.Ceiling[0].Samples))
		for _, c := range r.Ceiling {
			fmt.Fprintf(w, "  %-12s %10s %s\n", c.Name, formatRate(c.Median), c.Unit)
		}
	}
	if len(r.CopiesCeiling) > 0 {
		fmt.Fprintf(w, "\ntmpfs copies ceiling, same run (no FUSE; the caller's data written once, and twice at once, median of %d):\n", len(r.CopiesCeiling[0].Samples))
		for _, c := range r.CopiesCeiling {
			fmt.Fprintf(w, "  %-14s %10s %s\n", c.Name, formatRate(c.Median), c.Unit)
		}
		if one, two := ceilingMedian(r.CopiesCeiling, "tmpfs-1-copy"), ceilingMedian(r.CopiesCeiling, "tmpfs-2-copies"); one > 0 && two > 0 {
			fmt.Fprintf(w, "  2 copies / 1 copy: %.2fx (the most replicate(2) could reach against loopback on seq-write)\n", two/one)
		}
	}
	return nil
}

// ceilingMedian is the median of the ceiling figure name in cs, 0 if
// it was not measured.
func ceilingMedian(cs []CeilingResult, name string) float64 {
	for _, c := range cs {
		if c.Name == name {
			return c.Median
		}
	}
	return 0
}

// hasFigures reports whether target has at least one sample.
func (r *Results) hasFigures(target string) bool {
	for _, wl := range r.Workloads {
		if c := wl.cell(target); c != nil && len(c.Samples) > 0 {
			return true
		}
	}
	return false
}
