package cli

import (
	"context"
	"fmt"
	"os"
	"strings"

	"jiuzhu/app"
)

// The county recovery key. `county keygen` makes a key pair; each device
// keeps a copy of its data key wrapped for the public half
// (`jiuzhu recovery-key`, or `jiuzhu init --recovery-pub`). When every
// password of a device is lost, county staff bring the private half to the
// device and give one user a new password (`jiuzhu recover`).

func init() {
	Register(&Command{Name: "recovery-key", Summary: "设置县级恢复公钥：--db 路径 --pub 公钥文件（需登录：JIUZHU_USER、JIUZHU_PASSWORD）", Run: runRecoveryKey})
	Register(&Command{Name: "recover", Summary: "用县级恢复私钥找回数据并重设用户密码：--db 路径 --county-key 私钥文件 --user 用户名（新密码取自 JIUZHU_NEW_PASSWORD）", Run: runRecover})
}

func readKeyFile(field, path string) (string, error) {
	if strings.TrimSpace(path) == "" {
		return "", app.FieldErrorf(field, "请给出%s文件", field)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return "", app.FieldErrorf(field, "无法读取%s文件 %s", field, path)
	}
	return strings.TrimSpace(string(b)), nil
}

func runRecoveryKey(ctx context.Context, env *Env, args []string) error {
	fs := newFlags("recovery-key", env)
	db := fs.String("db", DefaultDB(), "数据库文件")
	pub := fs.String("pub", "", "县级恢复公钥文件（county keygen 生成的 recovery.pub）")
	if err := fs.Parse(args); err != nil {
		return err
	}
	text, err := readKeyFile("县级恢复公钥", *pub)
	if err != nil {
		return err
	}
	s, err := openUnlocked(ctx, env, *db)
	if err != nil {
		return err
	}
	defer s.Close()
	if err := s.SetRecoveryKey(ctx, text); err != nil {
		return err
	}
	fmt.Fprintln(env.Stdout, "已设置县级恢复公钥：本机密码全部遗失时，县民政局可凭恢复私钥找回数据。")
	return nil
}

func runRecover(ctx context.Context, env *Env, args []string) error {
	fs := newFlags("recover", env)
	db := fs.String("db", DefaultDB(), "数据库文件")
	keyFile := fs.String("county-key", "", "县级恢复私钥文件（recovery.key，由县民政局保管）")
	user := fs.String("user", "", "重设密码的用户名")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if strings.TrimSpace(*user) == "" {
		return app.FieldErrorf("用户", "请用 --user 给出要重设密码的用户名")
	}
	private, err := readKeyFile("县级恢复私钥", *keyFile)
	if err != nil {
		return err
	}
	s, err := openStore(ctx, *db)
	if err != nil {
		return err
	}
	defer s.Close()
	u, err := s.UserByName(ctx, *user)
	if err != nil {
		return err
	}
	pw, err := newPassword(env, EnvNewPassword, u.Name)
	if err != nil {
		return err
	}
	if err := s.Recover(ctx, private, u.ID, pw); err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "已用县级恢复密钥找回数据，用户“%s”的密码已重设。\n", u.Name)
	return nil
}
