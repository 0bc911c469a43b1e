package transport

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"

	"github.com/loom-fs/loom/xlator"
)

// TLSFiles are the certificate files of one side.
type TLSFiles struct {
	Cert, Key, CA string
}

// TLSFilesFrom reads the TLS options; ok is false when TLS is off. It
// fails when TLS is on and a file option is missing.
func TLSFilesFrom(o *xlator.Options) (f TLSFiles, ok bool, err error) {
	if !o.Bool(KeySSL) {
		return f, false, nil
	}
	f = TLSFiles{Cert: o.String(KeyOwnCert), Key: o.String(KeyPrivateKey), CA: o.String(KeyCAList)}
	for _, m := range []struct{ key, val string }{{KeyOwnCert, f.Cert}, {KeyPrivateKey, f.Key}, {KeyCAList, f.CA}} {
		if m.val == "" {
			return f, true, fmt.Errorf("%s is on but %s is not set", KeySSL, m.key)
		}
	}
	return f, true, nil
}

// load reads the key pair and the CA pool.
func (f TLSFiles) load() (tls.Certificate, *x509.CertPool, error) {
	cert, err := tls.LoadX509KeyPair(f.Cert, f.Key)
	if err != nil {
		return cert, nil, fmt.Errorf("tls: loading %s and %s: %w", f.Cert, f.Key, err)
	}
	pem, err := os.ReadFile(f.CA)
	if err != nil {
		return cert, nil, fmt.Errorf("tls: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return cert, nil, fmt.Errorf("tls: %s holds no PEM certificate", f.CA)
	}
	return cert, pool, nil
}

// ServerConfig returns the TLS configuration of a server: its own
// certificate, and a client certificate signed by the CA list required.
func (f TLSFiles) ServerConfig() (*tls.Config, error) {
	cert, pool, err := f.load()
	if err != nil {
		return nil, err
	}
	return &tls.Config{
		Certificates: []tls.Certificate{cert},
		ClientAuth:   tls.RequireAndVerifyClientCert,
		ClientCAs:    pool,
		MinVersion:   tls.VersionTLS12,
	}, nil
}

// ClientConfig returns the TLS configuration of a client: its own
// certificate, and a server certificate that must be signed by the CA
// list. As in GlusterFS, the server's name is not checked against its
// certificate: the CA is the trust anchor.
func (f TLSFiles) ClientConfig() (*tls.Config, error) {
	cert, pool, err := f.load()
	if err != nil {
		return nil, err
	}
	return &tls.Config{
		Certificates:       []tls.Certificate{cert},
		MinVersion:         tls.VersionTLS12,
		InsecureSkipVerify: true, // replaced by VerifyConnection below
		VerifyConnection: func(cs tls.ConnectionState) error {
			if len(cs.PeerCertificates) == 0 {
				return errors.New("tls: the server sent no certificate")
			}
			opts := x509.VerifyOptions{Roots: pool, Intermediates: x509.NewCertPool(),
				KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
			for _, c := range cs.PeerCertificates[1:] {
				opts.Intermediates.AddCert(c)
			}
			if _, err := cs.PeerCertificates[0].Verify(opts); err != nil {
				return fmt.Errorf("tls: the server's certificate: %w", err)
			}
			return nil
		},
	}, nil
}
