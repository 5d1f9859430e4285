package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"jiuzhu/app"
	"jiuzhu/vault"
)

// keygen makes the county recovery key pair: recovery.pub goes to every
// township device (`jiuzhu recovery-key`, or 设置), recovery.key stays with
// the bureau, offline, and is brought to a device only to recover it
// (`jiuzhu recover`). An existing pair is never overwritten: losing the
// private key makes every device's county copy useless.
func (m *Main) keygen(_ context.Context, args []string) error {
	fs := m.flags("keygen")
	dir := fs.String("out", ".", "密钥文件保存目录")
	if err := fs.Parse(args); err != nil {
		return err
	}
	pub, priv := filepath.Join(*dir, "recovery.pub"), filepath.Join(*dir, "recovery.key")
	for _, p := range []string{pub, priv} {
		if _, err := os.Stat(p); err == nil {
			return app.Errorf(app.ECONFLICT, "%s 已存在：恢复密钥只生成一次，请勿覆盖", p)
		} else if !errors.Is(err, os.ErrNotExist) {
			return err
		}
	}
	if err := os.MkdirAll(*dir, 0o700); err != nil {
		return err
	}
	pair := vault.NewRecoveryKeyPair()
	if err := os.WriteFile(priv, []byte(pair.Private+"\n"), 0o600); err != nil {
		return fmt.Errorf("write %s: %w", priv, err)
	}
	if err := os.WriteFile(pub, []byte(pair.Public+"\n"), 0o644); err != nil {
		return fmt.Errorf("write %s: %w", pub, err)
	}
	fmt.Fprintf(m.Stdout, "已生成县级恢复密钥：\n  公钥 %s（发给各乡镇设备）\n  私钥 %s（县民政局离线保管，切勿外传）\n", pub, priv)
	return nil
}
