package fuse

import (
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"
)

// Options for a mount.
type Options struct {
	FSName             string        // source shown in /proc/mounts; default "loom"
	AllowOther         bool          // other users may use the mount
	DefaultPermissions bool          // kernel checks permissions (mode bits and POSIX ACLs) for each caller
	ReadOnly           bool          // mount read-only (the kernel refuses writes)
	Extra              []string      // further kernel mount options (nosuid, nodev, noatime, …)
	EntryTimeout       time.Duration // default (0) 1s; negative: do not cache names
	AttrTimeout        time.Duration // default (0) 1s; negative: do not cache attributes
	NegativeTimeout    time.Duration // default 0 (do not cache misses: other clients may create names)
	Debug              bool          // go-fuse's request log
	Log                *slog.Logger  // default slog.Default()
	// ResolveGroups fills xlator.Call.Groups with the caller's
	// supplementary groups, read from /proc/PID/status and cached per
	// PID for GroupsTimeout. Without it Groups is nil: enough when the
	// kernel checks permissions (DefaultPermissions), since the graph
	// then only needs uid and gid for ownership of new files.
	ResolveGroups bool
	// GroupsTimeout is how long resolved groups of one PID are reused
	// (GlusterFS's gid-timeout); default 1s.
	GroupsTimeout time.Duration
	// NoPassthrough turns FUSE passthrough off: every read and write
	// then goes through the graph, even when its top offers the open
	// file's descriptor (xlator.BackingFiler).
	NoPassthrough bool
}

// defaults of Options fields left zero.
const (
	defaultFSName        = "loom"
	defaultEntryTimeout  = time.Second
	defaultAttrTimeout   = time.Second
	defaultGroupsTimeout = time.Second
)

// withDefaults returns o with zero fields given their defaults and
// negative timeouts (explicitly "no caching") turned into 0.
func (o Options) withDefaults() Options {
	if o.FSName == "" {
		o.FSName = defaultFSName
	}
	o.EntryTimeout = orDefault(o.EntryTimeout, defaultEntryTimeout)
	o.AttrTimeout = orDefault(o.AttrTimeout, defaultAttrTimeout)
	o.GroupsTimeout = orDefault(o.GroupsTimeout, defaultGroupsTimeout)
	o.NegativeTimeout = max(o.NegativeTimeout, 0)
	if o.Log == nil {
		o.Log = slog.Default()
	}
	return o
}

// orDefault returns def for 0, 0 for a negative d, and d otherwise.
func orDefault(d, def time.Duration) time.Duration {
	switch {
	case d == 0:
		return def
	case d < 0:
		return 0
	}
	return d
}

// ParseMountOptions applies a "-o" list (comma separated) to o: ro, rw,
// allow_other, default_permissions, fsname=, entry_timeout=,
// attr_timeout=, negative_timeout= (seconds, as GlusterFS's fuse options;
// fractions allowed; a timeout of 0 is stored as -1, "no caching"),
// resolve_groups, gid_timeout= (seconds), passthrough=on|off, everything
// else goes to Extra.
// It returns an error naming an option it cannot parse.
func ParseMountOptions(list string, o *Options) error {
	for _, item := range strings.Split(list, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		key, val, hasVal := strings.Cut(item, "=")
		switch key {
		case "ro", "rw", "allow_other", "default_permissions", "resolve_groups":
			if hasVal {
				return fmt.Errorf("mount option %q takes no value", item)
			}
		}
		switch key {
		case "ro":
			o.ReadOnly = true
		case "rw":
			o.ReadOnly = false
		case "allow_other":
			o.AllowOther = true
		case "default_permissions":
			o.DefaultPermissions = true
		case "resolve_groups":
			o.ResolveGroups = true
		case "passthrough":
			switch val {
			case "on":
				o.NoPassthrough = false
			case "off":
				o.NoPassthrough = true
			default:
				return fmt.Errorf("mount option %q: passthrough is on or off", item)
			}
		case "fsname":
			if !hasVal || val == "" {
				return fmt.Errorf("mount option %q: fsname needs a value (fsname=NAME)", item)
			}
			o.FSName = val
		case "entry_timeout", "attr_timeout", "negative_timeout", "gid_timeout":
			d, err := parseSeconds(key, val, hasVal)
			if err != nil {
				return err
			}
			switch key {
			case "entry_timeout":
				o.EntryTimeout = d
			case "attr_timeout":
				o.AttrTimeout = d
			case "negative_timeout":
				o.NegativeTimeout = max(d, 0)
			case "gid_timeout":
				o.GroupsTimeout = d
			}
		default:
			o.Extra = append(o.Extra, item)
		}
	}
	return nil
}

// parseSeconds parses "key=SECONDS" (a non-negative decimal number). A
// zero result is returned as -1, which Options reads as "no caching".
func parseSeconds(key, val string, hasVal bool) (time.Duration, error) {
	if !hasVal {
		return 0, fmt.Errorf("mount option %q needs a value in seconds (%s=1)", key, key)
	}
	f, err := strconv.ParseFloat(val, 64)
	if err != nil || f < 0 || f > 1e9 {
		return 0, fmt.Errorf("mount option %s=%s: %q is not a number of seconds", key, val, val)
	}
	d := time.Duration(f * float64(time.Second))
	if d == 0 {
		return -1, nil
	}
	return d, nil
}
