package client_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// pki is a test CA with certificates it signed, written as PEM files.
type pki struct {
	dir  string
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	CA   string // the CA certificate file
}

func newPKI(t *testing.T, name string) *pki {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	p := &pki{dir: t.TempDir(), cert: cert, key: key}
	p.CA = p.write(t, name+"-ca.pem", "CERTIFICATE", der)
	return p
}

func (p *pki) write(t *testing.T, name, typ string, der []byte) string {
	path := filepath.Join(p.dir, name)
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// issue makes a certificate with common name cn for a server or a client
// and returns its certificate and key files.
func (p *pki) issue(t *testing.T, cn string, server bool) (certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	usage := x509.ExtKeyUsageClientAuth
	if server {
		usage = x509.ExtKeyUsageServerAuth
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{usage},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, p.cert, &key.PublicKey, p.key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return p.write(t, cn+".pem", "CERTIFICATE", der), p.write(t, cn+".key", "EC PRIVATE KEY", kder)
}

// tlsOpts are the TLS options of one side.
func tlsOpts(cert, key, ca string) []string {
	return []string{"transport.socket.ssl-enabled", "on", "transport.socket.ssl-own-cert", cert,
		"transport.socket.ssl-private-key", key, "transport.socket.ssl-ca-list", ca}
}

func TestTLS(t *testing.T) {
	ca := newPKI(t, "loom-test")
	other := newPKI(t, "intruder")
	srvCert, srvKey := ca.issue(t, "server", true)
	cliCert, cliKey := ca.issue(t, "client1", false)
	badCert, badKey := other.issue(t, "client1", false)
	nameCert, nameKey := ca.issue(t, "mallory", false)

	s := startServer(t, "", append(tlsOpts(srvCert, srvKey, ca.CA), "auth.ssl-allow", "client*")...)

	t.Run("MutualOK", func(t *testing.T) {
		c := startClient(t, s, tlsOpts(cliCert, cliKey, ca.CA)...)
		writeAndRead(t, c)
	})
	t.Run("ClientCertFromOtherCA", func(t *testing.T) {
		err := startRefused(t, clientSpec(t, s, tlsOpts(badCert, badKey, ca.CA)...))
		wantMessage(t, err, "certificate")
	})
	t.Run("CommonNameNotAllowed", func(t *testing.T) {
		err := startRefused(t, clientSpec(t, s, tlsOpts(nameCert, nameKey, ca.CA)...))
		wantMessage(t, err, `"mallory" is not in auth.ssl-allow`)
	})
	t.Run("ServerCertFromOtherCA", func(t *testing.T) {
		err := startRefused(t, clientSpec(t, s, tlsOpts(cliCert, cliKey, other.CA)...))
		wantMessage(t, err, "TLS handshake failed", "certificate")
	})
	t.Run("PlainClientOnTLSServer", func(t *testing.T) {
		err := startRefused(t, clientSpec(t, s))
		wantMessage(t, err, "requires TLS")
	})
	t.Run("TLSClientOnPlainServer", func(t *testing.T) {
		plain := startServer(t, "")
		err := startRefused(t, clientSpec(t, plain, tlsOpts(cliCert, cliKey, ca.CA)...))
		wantMessage(t, err, "does not use TLS")
	})
}
