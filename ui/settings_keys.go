package ui

import (
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	jsync "jiuzhu/sync"
)

// keysCard shows how this device's data are protected and takes the two
// things the county hands out: its recovery public key (a copy of the data
// key is wrapped for it) and, for a county server with its own CA, the CA
// certificate file the sync client trusts.
func (s *settings) keysCard() fyne.CanvasObject {
	s.keyStatus = widget.NewLabel("")
	s.keyStatus.Wrapping = fyne.TextWrapWord
	s.recoveryKey = widget.NewMultiLineEntry()
	s.recoveryKey.SetPlaceHolder("jiuzhu-recovery-public:…（县民政局提供的恢复公钥）")
	s.recoveryKey.Wrapping = fyne.TextWrapBreak
	s.caFile = widget.NewEntry()
	s.caFile.SetPlaceHolder("县级CA证书文件路径（.pem，使用县里自建证书时填写）")
	if ca, _ := s.sh.store.Meta(s.sh.ctx, jsync.MetaCAFile); ca != "" {
		s.caFile.SetText(ca)
	}
	s.keyMessage = widget.NewLabel("")
	s.keyMessage.Wrapping = fyne.TextWrapWord
	s.showKeyStatus()
	form := widget.NewForm(
		widget.NewFormItem("县级恢复公钥", s.recoveryKey),
		widget.NewFormItem("县级CA证书", s.caFile))
	return widget.NewCard("数据加密与证书", "", container.NewVBox(s.keyStatus, form,
		container.NewHBox(widget.NewButton("保存恢复公钥", s.onSaveRecoveryKey), widget.NewButton("保存CA证书", s.onSaveCA)),
		s.keyMessage))
}

func (s *settings) showKeyStatus() {
	st, err := s.sh.store.Encryption(s.sh.ctx)
	switch {
	case err != nil:
		s.keyStatus.SetText(errText(err))
	case !st.Protected:
		s.keyStatus.SetText("本机数据已加密，但还没有用户：数据密钥尚未受密码保护。")
	case st.CountyRecovery:
		s.keyStatus.SetText("本机数据已加密保存（密钥编号 " + st.KeyID + "），由各用户密码保护；县级恢复密钥已设置，密码全部遗失时县民政局可找回数据。")
	default:
		s.keyStatus.SetText("本机数据已加密保存（密钥编号 " + st.KeyID + "），由各用户密码保护。尚未设置县级恢复公钥：所有用户都忘记密码时数据将无法找回。")
	}
}

func (s *settings) onSaveRecoveryKey() {
	text := strings.TrimSpace(s.recoveryKey.Text)
	if text == "" {
		s.keyMessage.SetText("请粘贴县民政局提供的恢复公钥。")
		return
	}
	if err := s.sh.store.SetRecoveryKey(s.sh.ctx, text); err != nil {
		s.keyMessage.SetText(errText(err))
		return
	}
	s.recoveryKey.SetText("")
	s.keyMessage.SetText("县级恢复公钥已保存。")
	s.showKeyStatus()
}

// onSaveCA checks that the file holds a certificate before saving its path
// where `jiuzhu sync --ca` keeps it; the sync client picks it up next round.
func (s *settings) onSaveCA() {
	path := strings.TrimSpace(s.caFile.Text)
	if path != "" {
		if _, err := jsync.TransportWithCA(path); err != nil {
			s.keyMessage.SetText(errText(err))
			return
		}
	}
	if err := s.sh.store.SetMeta(s.sh.ctx, jsync.MetaCAFile, path); err != nil {
		s.keyMessage.SetText(errText(err))
		return
	}
	if path == "" {
		s.keyMessage.SetText("已清除县级CA证书，同步时只信任系统证书。")
		return
	}
	s.keyMessage.SetText("县级CA证书已保存，下次同步起使用。")
}
