package server

import (
	"crypto/subtle"
	"fmt"
	"net/netip"
	"path"
	"slices"
	"strings"

	"github.com/loom-fs/loom/xlator"
)

// policy is who may use one exported subvolume (GlusterFS's auth.addr and
// auth.login modules, plus auth.ssl-allow).
type policy struct {
	allow, reject []string          // address patterns
	users         []string          // auth.login.<vol>.allow; nil: no login needed
	passwords     map[string]string // auth.login.<user>.password
	sslAllow      []string          // certificate common-name patterns; nil: any
}

// peer is what the server knows about a connecting client.
type peer struct {
	addr     netip.Addr // invalid for a unix socket
	unix     bool
	username string
	password string
	tls      bool
	cn       string // the client certificate's common name, with TLS
}

// policiesFrom reads every auth option and checks that each names an
// exported subvolume and each allowed user has a password.
func policiesFrom(o *xlator.Options, children []xlator.Translator) (map[string]*policy, error) {
	pols := map[string]*policy{}
	names := make([]string, len(children))
	for i, ch := range children {
		names[i] = ch.Name()
		pols[ch.Name()] = &policy{passwords: map[string]string{}, sslAllow: o.List(keySSLAllow)}
	}
	vol := func(key, prefix, suffix string) (*policy, error) {
		name := strings.TrimSuffix(strings.TrimPrefix(key, prefix), suffix)
		p, ok := pols[name]
		if !ok {
			return nil, fmt.Errorf("option %q: %q is not an exported subvolume (%s)", key, name, strings.Join(names, ", "))
		}
		return p, nil
	}
	for key, val := range o.Matching("auth.addr.*.allow") {
		p, err := vol(key, "auth.addr.", ".allow")
		if err != nil {
			return nil, err
		}
		if p.allow, err = checkPatterns(key, xlator.SplitList(val)); err != nil {
			return nil, err
		}
	}
	for key, val := range o.Matching("auth.addr.*.reject") {
		p, err := vol(key, "auth.addr.", ".reject")
		if err != nil {
			return nil, err
		}
		if p.reject, err = checkPatterns(key, xlator.SplitList(val)); err != nil {
			return nil, err
		}
	}
	passwords := map[string]string{}
	for key, val := range o.Matching("auth.login.*.password") {
		passwords[strings.TrimSuffix(strings.TrimPrefix(key, "auth.login."), ".password")] = val
	}
	for key, val := range o.Matching("auth.login.*.allow") {
		p, err := vol(key, "auth.login.", ".allow")
		if err != nil {
			return nil, err
		}
		p.users = xlator.SplitList(val)
		for _, u := range p.users {
			pw, ok := passwords[u]
			if !ok {
				return nil, fmt.Errorf("option %q allows user %q, but auth.login.%s.password is not set", key, u, u)
			}
			p.passwords[u] = pw
		}
	}
	return pols, nil
}

// checkPatterns validates address patterns: "*", an address, a CIDR, or
// an address with * and ? wildcards (127.0.0.*).
func checkPatterns(key string, pats []string) ([]string, error) {
	for _, p := range pats {
		if p == "*" {
			continue
		}
		if _, err := netip.ParsePrefix(p); err == nil {
			continue
		}
		if _, err := netip.ParseAddr(p); err == nil {
			continue
		}
		if _, err := path.Match(p, ""); err == nil && strings.Trim(p, "0123456789abcdefABCDEF.:*?") == "" {
			continue
		}
		return nil, fmt.Errorf("option %q: %q is not an address, a CIDR or an address pattern such as 192.168.1.*", key, p)
	}
	return pats, nil
}

// matchAddr reports whether a matches one of the patterns.
func matchAddr(a netip.Addr, pats []string) bool {
	a = a.Unmap()
	s := a.String()
	for _, p := range pats {
		if p == "*" {
			return true
		}
		if pre, err := netip.ParsePrefix(p); err == nil {
			if pre.Contains(a) {
				return true
			}
			continue
		}
		if pa, err := netip.ParseAddr(p); err == nil {
			if pa.Unmap() == a {
				return true
			}
			continue
		}
		if ok, _ := path.Match(p, s); ok {
			return true
		}
	}
	return false
}

// decide returns nil if p may use the subvolume, or why not. The rules
// (docs/protocol.md): a rejected address is refused whatever else holds;
// a login list requires a listed user with the right password; an allow
// list requires a listed address; with no allow list, and no login list,
// only the loopback addresses and the unix socket are accepted. With TLS,
// the certificate's common name must match auth.ssl-allow when it is set.
func (pol *policy) decide(p *peer) error {
	if !p.unix && matchAddr(p.addr, pol.reject) {
		return fmt.Errorf("address %s is rejected by auth.addr reject", p.addr)
	}
	if p.tls && len(pol.sslAllow) > 0 && !matchName(p.cn, pol.sslAllow) {
		return fmt.Errorf("certificate common name %q is not in auth.ssl-allow", p.cn)
	}
	if pol.users != nil {
		if p.username == "" {
			return fmt.Errorf("a username and password are required (auth.login)")
		}
		want, ok := pol.passwords[p.username]
		if !ok {
			// Compare anyway, so that timing does not tell which
			// users exist.
			want = "\x00"
		}
		good := subtle.ConstantTimeCompare([]byte(want), []byte(p.password)) == 1
		if !ok || !good || !slices.Contains(pol.users, p.username) {
			return fmt.Errorf("wrong username or password for user %q", p.username)
		}
	}
	switch {
	case pol.allow != nil:
		if p.unix {
			return nil
		}
		if !matchAddr(p.addr, pol.allow) {
			return fmt.Errorf("address %s is not in auth.addr allow", p.addr)
		}
	case pol.users == nil && !p.unix && !p.addr.Unmap().IsLoopback():
		return fmt.Errorf("address %s is not allowed: set auth.addr.<subvolume>.allow (only loopback clients are accepted without it)", p.addr)
	}
	return nil
}

// matchName matches a certificate name against shell patterns.
func matchName(name string, pats []string) bool {
	for _, p := range pats {
		if ok, _ := path.Match(p, name); ok {
			return true
		}
	}
	return false
}
