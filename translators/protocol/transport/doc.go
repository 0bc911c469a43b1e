// Package transport holds what protocol/client and protocol/server share
// about connections: the transport options (GlusterFS's names), TLS
// configuration from certificate files with mutual authentication, the
// check that tells a plain peer from a TLS one, and FrameWriter, which
// writes whole frames from many goroutines and gathers those that queue
// up into one write.
package transport
