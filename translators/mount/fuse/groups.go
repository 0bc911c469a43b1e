package fuse

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"sync"
	"time"
)

// groupCache resolves the supplementary groups of a calling process from
// /proc/PID/status and keeps the answer per PID for a short time, as
// GlusterFS's fuse bridge does (its gid-timeout).
type groupCache struct {
	ttl time.Duration

	mu      sync.Mutex
	entries map[uint32]groupEntry
}

type groupEntry struct {
	uid, gid uint32
	groups   []uint32
	expires  time.Time
}

// maxGroupEntries bounds the cache; it is emptied when full.
const maxGroupEntries = 4096

func newGroupCache(ttl time.Duration) *groupCache {
	return &groupCache{ttl: ttl, entries: map[uint32]groupEntry{}}
}

// get returns the supplementary groups of pid, which runs as uid/gid. A
// process that is gone (or unreadable) has none. The slice is shared:
// callers must not change it.
func (c *groupCache) get(pid, uid, gid uint32) []uint32 {
	if pid == 0 {
		return nil
	}
	now := time.Now()
	c.mu.Lock()
	e, ok := c.entries[pid]
	c.mu.Unlock()
	if ok && e.uid == uid && e.gid == gid && now.Before(e.expires) {
		return e.groups
	}
	groups, err := readGroups(pid)
	if err != nil {
		return nil
	}
	c.mu.Lock()
	if len(c.entries) >= maxGroupEntries {
		clear(c.entries)
	}
	c.entries[pid] = groupEntry{uid: uid, gid: gid, groups: groups, expires: now.Add(c.ttl)}
	c.mu.Unlock()
	return groups
}

// readGroups reads the "Groups:" line of /proc/PID/status.
func readGroups(pid uint32) ([]uint32, error) {
	path := "/proc/" + strconv.FormatUint(uint64(pid), 10) + "/status"
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read groups: %w", err)
	}
	return parseGroups(data, path)
}

// parseGroups extracts the "Groups:" line of a /proc/PID/status text.
func parseGroups(status []byte, path string) ([]uint32, error) {
	const prefix = "Groups:"
	i := bytes.Index(status, []byte("\n"+prefix))
	if i < 0 {
		return nil, fmt.Errorf("read groups %s: no %s line", path, prefix)
	}
	line := status[i+1+len(prefix):]
	if j := bytes.IndexByte(line, '\n'); j >= 0 {
		line = line[:j]
	}
	fields := bytes.Fields(line)
	groups := make([]uint32, 0, len(fields))
	for _, f := range fields {
		g, err := strconv.ParseUint(string(f), 10, 32)
		if err != nil {
			return nil, fmt.Errorf("read groups %s: bad group %q", path, f)
		}
		groups = append(groups, uint32(g))
	}
	return groups, nil
}
