package ui

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	"jiuzhu/app"
	jsync "jiuzhu/sync"
	"jiuzhu/vault"
)

// writeCA writes a self-signed CA certificate as PEM.
func writeCA(t *testing.T, path string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "县民政局测试CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true,
		BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tpl, tpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestSettingsRecoveryKeyAndCA(t *testing.T) {
	s := newTestStore(t)
	ctx := context.Background()
	sh := newTestShell(t, s, app.RoleClerk)
	sh.ShowSettings()
	st := sh.Current.(*settings)
	if !strings.Contains(st.keyStatus.Text, "尚未设置县级恢复公钥") {
		t.Fatalf("status before: %q", st.keyStatus.Text)
	}
	pair := vault.NewRecoveryKeyPair()
	test.Type(st.recoveryKey, pair.Private)
	test.Tap(button(t, sh.win, "保存恢复公钥"))
	if !strings.Contains(st.keyMessage.Text, "不是县级恢复公钥") {
		t.Fatalf("a private key was accepted: %q", st.keyMessage.Text)
	}
	st.recoveryKey.SetText(pair.Public)
	test.Tap(button(t, sh.win, "保存恢复公钥"))
	if enc, _ := s.Encryption(ctx); !enc.CountyRecovery || !strings.Contains(st.keyStatus.Text, "县级恢复密钥已设置") {
		t.Fatalf("after saving: %+v %q %q", enc, st.keyStatus.Text, st.keyMessage.Text)
	}

	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.pem")
	os.WriteFile(bad, []byte("not a certificate"), 0o644)
	st.caFile.SetText(bad)
	test.Tap(button(t, sh.win, "保存CA证书"))
	if v, _ := s.Meta(ctx, jsync.MetaCAFile); v != "" || !strings.Contains(st.keyMessage.Text, "没有有效的证书") {
		t.Fatalf("a bad CA file was saved: %q %q", v, st.keyMessage.Text)
	}
	good := filepath.Join(dir, "county-ca.pem")
	writeCA(t, good)
	st.caFile.SetText(good)
	test.Tap(button(t, sh.win, "保存CA证书"))
	if v, _ := s.Meta(ctx, jsync.MetaCAFile); v != good {
		t.Fatalf("CA file %q, message %q", v, st.keyMessage.Text)
	}
}
