package xlator

import "strings"

// lockDomainSep separates the domains of a joined lock domain: the ASCII
// unit separator. No domain name holds it: domains are made of volume
// names, which may not hold control characters (volfile), and fixed
// suffixes; the wire refuses NUL bytes in strings.
const lockDomainSep = "\x1f"

// JoinLockDomains names several inodelk domains in one: an Inodelk or
// Finodelk request with the joined name takes the same range in each
// domain, in the order given, as if sent once per domain in that order
// (a blocking request holds the first while it waits for the next); it
// is granted whole or not at all. Its unlock releases the range in every
// domain. One request instead of one per domain saves a round trip per
// child on the network (replicate's heal of a new file locks the data
// and metadata domains together).
//
// features/locks understands joined domains. A translator that keeps
// its own inodelk table must split them with SplitLockDomains.
func JoinLockDomains(domains ...string) string {
	return strings.Join(domains, lockDomainSep)
}

// SplitLockDomains returns the domains a joined domain names, in order;
// a plain domain is returned alone.
func SplitLockDomains(domain string) []string {
	return strings.Split(domain, lockDomainSep)
}
