package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"
	"unicode/utf8"

	"golang.org/x/term"

	"jiuzhu/app"
	"jiuzhu/storage"
)

// Signing in on the command line. A device with local users lets no command
// that changes or exports data run without a user: scripts and scheduled jobs
// give JIUZHU_USER and JIUZHU_PASSWORD in the environment (on a terminal the
// password is asked for when JIUZHU_PASSWORD is unset). Wrong passwords count
// towards the same lock-out as the window's sign-in. A device without users
// (fresh from `jiuzhu init` without --user, test databases) keeps working as
// before, its events signed "命令行".

// Environment variables read by the command line.
const (
	EnvUser        = "JIUZHU_USER"
	EnvPassword    = "JIUZHU_PASSWORD"
	EnvNewPassword = "JIUZHU_NEW_PASSWORD"
)

// TerminalPassword returns a password prompt on the process's terminal, or
// nil when stdin is not a terminal (then passwords come only from the
// environment). The prompt goes to w; what is typed is not echoed.
func TerminalPassword(w io.Writer) func(prompt string) (string, error) {
	fd := int(os.Stdin.Fd())
	if !term.IsTerminal(fd) {
		return nil
	}
	return func(prompt string) (string, error) {
		fmt.Fprint(w, prompt)
		b, err := term.ReadPassword(fd)
		fmt.Fprintln(w)
		return string(b), err
	}
}

// password reads the environment variable key, or asks on the terminal.
func password(env *Env, key, prompt string) (string, error) {
	if p := env.Getenv(key); p != "" {
		return p, nil
	}
	if env.ReadPassword == nil {
		return "", nil
	}
	return env.ReadPassword(prompt)
}

// SystemActor signs what the command line does. On a device with users it
// authenticates JIUZHU_USER with JIUZHU_PASSWORD and returns that user's
// actor (with the user's own role); a missing or wrong password is an error
// in Chinese. On a device without users it returns the "命令行" actor with
// role, as before users existed.
func SystemActor(ctx context.Context, env *Env, s *storage.Store, role app.Role) (app.Actor, error) {
	has, err := s.HasUsers(ctx)
	if err != nil {
		return app.Actor{}, err
	}
	if !has {
		name := env.Getenv(EnvUser)
		if name == "" {
			name = "命令行"
		}
		return app.Actor{UserID: "cli:" + name, Name: name, Role: role}, nil
	}
	name := strings.TrimSpace(env.Getenv(EnvUser))
	if name == "" {
		return app.Actor{}, app.Errorf(app.EFORBIDDEN,
			"本机已设用户，请用环境变量 %s 给出用户名、%s 给出密码后再运行", EnvUser, EnvPassword)
	}
	u, err := s.UserByName(ctx, name)
	if err != nil {
		return app.Actor{}, err
	}
	pw, err := password(env, EnvPassword, "用户“"+u.Name+"”的密码：")
	if err != nil {
		return app.Actor{}, app.Errorf(app.EFORBIDDEN, "无法读取密码")
	}
	if pw == "" {
		return app.Actor{}, app.Errorf(app.EFORBIDDEN, "请用环境变量 %s 给出用户“%s”的密码", EnvPassword, u.Name)
	}
	if u, err = s.Authenticate(ctx, u.ID, pw); err != nil {
		var se *storage.SignInError
		if errors.As(err, &se) {
			return app.Actor{}, app.Errorf(app.EFORBIDDEN, "用户“%s”：%s", name, app.ErrorMessage(err))
		}
		return app.Actor{}, err
	}
	return u.Actor(), nil
}

// authorize is SystemActor for commands that sign nothing but read out or
// change personal data (demo, sync, export, archive).
func authorize(ctx context.Context, env *Env, s *storage.Store) error {
	_, err := SystemActor(ctx, env, s, app.RoleClerk)
	return err
}

// parseRole reads --role.
func parseRole(v string) (app.Role, error) {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "clerk", "经办":
		return app.RoleClerk, nil
	case "approver", "审批":
		return app.RoleApprover, nil
	case "liaison", "协理":
		return app.RoleLiaison, nil
	}
	return "", app.FieldErrorf("角色", "角色应为 clerk（经办）、approver（审批）或 liaison（村协理员）")
}

// newPassword reads a new password from key, or asks twice on the terminal.
func newPassword(env *Env, key, who string) (string, error) {
	pw := env.Getenv(key)
	if pw == "" && env.ReadPassword != nil {
		var err error
		if pw, err = env.ReadPassword("为用户“" + who + "”设置密码（至少6位）："); err != nil {
			return "", app.Errorf(app.EINVALID, "无法读取密码")
		}
		again, err := env.ReadPassword("再输入一次：")
		if err != nil {
			return "", app.Errorf(app.EINVALID, "无法读取密码")
		}
		if again != pw {
			return "", app.FieldErrorf("密码", "两次输入的密码不一致")
		}
	}
	if pw == "" {
		return "", app.FieldErrorf("密码", "请用环境变量 %s 给出用户“%s”的密码（至少%d位）", key, who, storage.MinPasswordLen)
	}
	if utf8.RuneCountInString(pw) < storage.MinPasswordLen {
		return "", app.FieldErrorf("密码", "密码至少%d位", storage.MinPasswordLen)
	}
	return pw, nil
}

func init() {
	Register(&Command{Name: "passwd", Summary: "修改密码：--db 路径 --user 用户名（原密码取自 JIUZHU_PASSWORD，新密码取自 JIUZHU_NEW_PASSWORD，终端上未设置时提示输入）", Run: runPasswd})
}

func runPasswd(ctx context.Context, env *Env, args []string) error {
	fs := newFlags("passwd", env)
	db := fs.String("db", DefaultDB(), "数据库文件")
	user := fs.String("user", "", "用户名（默认取自 JIUZHU_USER）")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *user == "" {
		*user = env.Getenv(EnvUser)
	}
	if strings.TrimSpace(*user) == "" {
		return app.FieldErrorf("用户", "请用 --user 给出用户名")
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
	old, err := password(env, EnvPassword, "原密码：")
	if err != nil || old == "" {
		return app.FieldErrorf("原密码", "请用环境变量 %s 给出原密码", EnvPassword)
	}
	pw, err := newPassword(env, EnvNewPassword, u.Name)
	if err != nil {
		return err
	}
	if err := s.ChangePassword(ctx, u.ID, old, pw); err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "用户“%s”的密码已修改。\n", u.Name)
	return nil
}

// longDigits are runs that may be ID numbers, bank accounts or phone numbers.
var longDigits = regexp.MustCompile(`[0-9]{11,}[0-9Xx]?`)

// redact masks long digit runs in a message printed to stderr, so that an
// unexpected error text never carries an ID number, account or phone.
func redact(msg string) string {
	return longDigits.ReplaceAllStringFunc(msg, func(d string) string { return d[:3] + strings.Repeat("*", len(d)-5) + d[len(d)-2:] })
}
