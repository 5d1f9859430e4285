package main

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	jsync "jiuzhu/sync"
)

// writeSelfSigned writes a CA-style self-signed certificate for 127.0.0.1.
func writeSelfSigned(t *testing.T, dir string) (certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "县民政局测试"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true,
		BasicConstraintsValid: true, KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, _ := x509.MarshalECPrivateKey(key)
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600)
	return certFile, keyFile
}

func TestServeTLSVerifiedByTheCountyCA(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	dir := t.TempDir()
	cert, key := writeSelfSigned(t, dir)
	ready := make(chan string, 1)
	var out, errb bytes.Buffer
	done := make(chan error, 1)
	go func() {
		done <- (&Main{Stdout: &out, Stderr: &errb, Ready: ready}).Run(ctx, []string{"serve", "--addr", "127.0.0.1:0",
			"--db", filepath.Join(dir, "county.db"), "--tls-cert", cert, "--tls-key", key})
	}()
	var addr string
	select {
	case addr = <-ready:
	case err := <-done:
		t.Fatalf("serve: %v %s", err, errb.String())
	}
	// Without the county CA the certificate is refused.
	if _, err := http.Get("https://" + addr + "/v1/health"); err == nil {
		t.Fatal("a self-signed county certificate was trusted without its CA")
	}
	rt, err := jsync.TransportWithCA(cert)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := (&http.Client{Transport: rt}).Get("https://" + addr + "/v1/health")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("health over TLS with the county CA: %v %v", err, resp)
	}
	if !strings.Contains(out.String(), "https://") {
		t.Errorf("start-up line %q", out.String())
	}
	cancel()
	<-done
}

func TestPlainHTTPOnlyOnLoopback(t *testing.T) {
	var out, errb bytes.Buffer
	err := (&Main{Stdout: &out, Stderr: &errb}).Run(context.Background(), []string{"serve", "--addr", "0.0.0.0:0",
		"--db", filepath.Join(t.TempDir(), "county.db")})
	if err == nil || !strings.Contains(err.Error()+errb.String(), "TLS") {
		t.Fatalf("plain HTTP on all interfaces: %v %s", err, errb.String())
	}
	for _, c := range []struct {
		url string
		ok  bool
	}{
		{"https://county.example.cn", true}, {"http://127.0.0.1:8080", true}, {"http://localhost:8080", true},
		{"http://county.example.cn", false}, {"ftp://x", false}, {"not a url", false},
	} {
		if err := jsync.CheckServerURL(c.url); (err == nil) != c.ok {
			t.Errorf("%s: %v", c.url, err)
		}
	}
}

func TestRateLimit(t *testing.T) {
	var logs bytes.Buffer
	h := jsync.RateLimit(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}), 1, 3,
		slog.New(slog.NewTextHandler(&logs, nil)))
	codes := []int{}
	for i := 0; i < 5; i++ {
		rec := &recorder{header: http.Header{}}
		req, _ := http.NewRequest("GET", "/v1/health", nil)
		req.RemoteAddr = "10.0.0.7:5000"
		h.ServeHTTP(rec, req)
		codes = append(codes, rec.code)
	}
	if codes[2] != 0 || codes[3] != http.StatusTooManyRequests || codes[4] != http.StatusTooManyRequests {
		t.Fatalf("codes %v: a burst of 3 passes, the 4th is refused", codes)
	}
	if lines := rejectedLines(logs.String()); len(lines) != 2 || !strings.Contains(lines[0], "code=rate_limited") ||
		!strings.Contains(lines[0], "status=429") || !strings.Contains(lines[0], "client=10.0.0.7") {
		t.Fatalf("each refusal is one rejected line: %q", logs.String())
	}
	other := &recorder{header: http.Header{}}
	req, _ := http.NewRequest("GET", "/v1/health", nil)
	req.RemoteAddr = "10.0.0.8:5000"
	h.ServeHTTP(other, req)
	if other.code != 0 {
		t.Fatalf("another client was limited too: %d", other.code)
	}
}

type recorder struct {
	header http.Header
	code   int
}

func (r *recorder) Header() http.Header         { return r.header }
func (r *recorder) Write(b []byte) (int, error) { return len(b), nil }
func (r *recorder) WriteHeader(c int)           { r.code = c }
