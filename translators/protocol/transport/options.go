package transport

import "github.com/loom-fs/loom/xlator"

// Option keys shared by protocol/client and protocol/server (GlusterFS's
// socket transport names).
const (
	KeyType       = "transport-type"
	KeySSL        = "transport.socket.ssl-enabled"
	KeyOwnCert    = "transport.socket.ssl-own-cert"
	KeyPrivateKey = "transport.socket.ssl-private-key"
	KeyCAList     = "transport.socket.ssl-ca-list"
)

// DefaultPort is the TCP port of protocol/server when none is given:
// GlusterFS's 24007.
const DefaultPort = 24007

// TLSOptions are the option definitions of TLS, for both sides.
func TLSOptions(side string) []xlator.OptionDef {
	return []xlator.OptionDef{
		{Key: KeySSL, Type: xlator.TypeBool, Default: "off",
			Help: "use TLS with mutual certificate authentication; the " + side + " at the other end must have it on too"},
		{Key: KeyOwnCert, Type: xlator.TypePath,
			Help: "this " + side + "'s certificate (PEM); required with TLS"},
		{Key: KeyPrivateKey, Type: xlator.TypePath,
			Help: "the private key of ssl-own-cert (PEM); required with TLS"},
		{Key: KeyCAList, Type: xlator.TypePath,
			Help: "the certificate authorities (PEM) the peer's certificate must be signed by; required with TLS"},
	}
}
