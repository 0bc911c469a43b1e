// Package transport holds what protocol/client and protocol/server share
// about connections: the transport options (GlusterFS's names), TLS
// configuration from certificate files with mutual authentication, and
// the check that tells a plain peer from a TLS one.
package transport
