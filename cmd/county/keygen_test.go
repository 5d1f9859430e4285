package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"jiuzhu/vault"
)

func TestKeygenMakesAWorkingPairOnce(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "keys")
	var out, errb bytes.Buffer
	m := &Main{Stdout: &out, Stderr: &errb}
	if err := m.Run(context.Background(), []string{"keygen", "--out", dir}); err != nil {
		t.Fatalf("keygen: %v %s", err, errb.String())
	}
	pub, _ := os.ReadFile(filepath.Join(dir, "recovery.pub"))
	priv, _ := os.ReadFile(filepath.Join(dir, "recovery.key"))
	if info, err := os.Stat(filepath.Join(dir, "recovery.key")); err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("private key file mode: %v %v", info, err)
	}
	k := vault.NewKey()
	wrapped, err := vault.WrapForRecovery(k, string(pub))
	if err != nil {
		t.Fatal(err)
	}
	if got, err := vault.UnwrapWithRecovery(wrapped, string(priv)); err != nil || got != k {
		t.Fatalf("the pair does not recover a key: %v", err)
	}
	err = m.Run(context.Background(), []string{"keygen", "--out", dir})
	if err == nil || !strings.Contains(err.Error(), "已存在") {
		t.Fatalf("a second keygen overwrote the pair: %v", err)
	}
	if again, _ := os.ReadFile(filepath.Join(dir, "recovery.key")); !bytes.Equal(again, priv) {
		t.Fatal("the private key changed")
	}
}
