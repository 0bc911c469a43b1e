package loomcli

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/loom-fs/loom/xlator"
)

// printTypeHelp prints a translator type's description and option table.
func printTypeHelp(w io.Writer, d *xlator.Descriptor) {
	fmt.Fprintf(w, "%s: %s\n\n", d.Type, strings.TrimSpace(d.Doc))
	fmt.Fprintf(w, "Subvolumes: %s\n", subvolumeRange(d))
	if d.Root {
		fmt.Fprint(w, "May stand as an extra root of a graph (started even when the top does not reach it).\n")
	}
	if len(d.Options) == 0 {
		fmt.Fprint(w, "\nOptions: none\n")
		return
	}
	fmt.Fprint(w, "\nOptions:\n")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprint(tw, "  NAME\tTYPE\tDEFAULT\tVALUES\tHELP\n")
	for _, o := range d.Options {
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\n", o.Key, o.Type, optionDefault(o), optionValues(o), oneLine(o.Help))
	}
	tw.Flush()
}

// subvolumeRange describes how many subvolumes a type takes.
func subvolumeRange(d *xlator.Descriptor) string {
	switch {
	case d.MaxChildren == 0:
		return "none"
	case d.MaxChildren < 0:
		return fmt.Sprintf("at least %d", d.MinChildren)
	case d.MinChildren == d.MaxChildren:
		return strconv.Itoa(d.MinChildren)
	}
	return fmt.Sprintf("%d to %d", d.MinChildren, d.MaxChildren)
}

// optionDefault shows an option's default, or that it is required.
func optionDefault(o xlator.OptionDef) string {
	switch {
	case o.Required:
		return "(required)"
	case o.Default == "":
		return "-"
	}
	return o.Default
}

// optionValues shows the values an option accepts beyond its type.
func optionValues(o xlator.OptionDef) string {
	bounded := o.Min < o.Max
	switch o.Type {
	case xlator.TypeEnum:
		return strings.Join(o.Allowed, "|")
	case xlator.TypeBool:
		return "on|off"
	case xlator.TypePercent:
		return "0..100"
	case xlator.TypeInt:
		if bounded {
			return fmt.Sprintf("%d..%d", o.Min, o.Max)
		}
	case xlator.TypeSize:
		if bounded {
			return formatSize(o.Min) + ".." + formatSize(o.Max)
		}
	case xlator.TypeDuration:
		if bounded {
			return (time.Duration(o.Min) * time.Millisecond).String() + ".." + (time.Duration(o.Max) * time.Millisecond).String()
		}
	}
	return "-"
}

// formatSize writes a byte count with the largest binary suffix that
// divides it exactly (4096 -> 4KiB).
func formatSize(n int64) string {
	for _, u := range []struct {
		s string
		m int64
	}{{"TiB", 1 << 40}, {"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}} {
		if n >= u.m && n%u.m == 0 {
			return strconv.FormatInt(n/u.m, 10) + u.s
		}
	}
	return strconv.FormatInt(n, 10)
}
