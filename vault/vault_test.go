package vault

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

var cheap = PasswordCost{Memory: 64, Time: 1, Threads: 1}

func TestSealOpen(t *testing.T) {
	s := NewSealer(NewKey())
	for _, v := range []string{"", "张三", "110101199003077777", strings.Repeat("长", 10000)} {
		a, b := s.SealText(v), s.SealText(v)
		if a == b && v != "" {
			t.Errorf("sealing %q twice gave the same text: equal values would be visible", v)
		}
		if strings.Contains(a, v) && v != "" {
			t.Errorf("sealed text contains the plaintext %q", v)
		}
		got, err := s.OpenText(a)
		if err != nil || got != v {
			t.Errorf("OpenText(SealText(%q)) = %q, %v", v, got, err)
		}
	}
}

func TestOpenRefusesTamperingAndOtherKeys(t *testing.T) {
	s, other := NewSealer(NewKey()), NewSealer(NewKey())
	sealed := s.Seal([]byte("110101199003077777"))
	if _, err := other.Open(sealed); !errors.Is(err, ErrCorrupt) {
		t.Errorf("another key opened the value: %v", err)
	}
	bad := bytes.Clone(sealed)
	bad[len(bad)-1] ^= 1
	for name, v := range map[string][]byte{"flipped bit": bad, "short": sealed[:5], "empty": nil,
		"version": append([]byte{9}, sealed[1:]...)} {
		if _, err := s.Open(v); !errors.Is(err, ErrCorrupt) {
			t.Errorf("%s: opened, err %v", name, err)
		}
	}
	if _, err := s.OpenText("%%%"); !errors.Is(err, ErrCorrupt) {
		t.Errorf("bad base64 opened: %v", err)
	}
}

func TestIndexIsKeyedAndStable(t *testing.T) {
	k := NewKey()
	a, b := NewSealer(k), NewSealer(k)
	if a.Index("110101199003077777") != b.Index("110101199003077777") {
		t.Error("the same key gave two index values for one ID number")
	}
	if a.Index("110101199003077777") == a.Index("110101199003077778") {
		t.Error("two ID numbers share an index value")
	}
	if a.Index("110101199003077777") == NewSealer(NewKey()).Index("110101199003077777") {
		t.Error("the index does not depend on the key: anyone could test a guess")
	}
}

func TestPasswordWrap(t *testing.T) {
	k := NewKey()
	w := WrapWithPassword(k, "correct horse", cheap)
	if w2 := WrapWithPassword(k, "correct horse", cheap); w2 == w {
		t.Error("two wraps with one password are equal: the salt is not fresh")
	}
	got, err := UnwrapWithPassword(w, "correct horse")
	if err != nil || got != k {
		t.Fatalf("unwrap with the right password: %v", err)
	}
	for _, pw := range []string{"correct hors", "", "Correct horse"} {
		if _, err := UnwrapWithPassword(w, pw); !errors.Is(err, ErrWrongPassword) {
			t.Errorf("password %q: err %v, want ErrWrongPassword", pw, err)
		}
	}
	for _, bad := range []string{"", "pw1$x$y$z", "pw2$m=64,t=1,p=1$AAAA$AAAA", "pw1$m=64,t=1,p=1$!!$AAAA",
		"pw1$m=99999999,t=1,p=1$AAAA$AAAA"} {
		if _, err := UnwrapWithPassword(bad, "correct horse"); err == nil {
			t.Errorf("malformed wrap %q unwrapped", bad)
		}
	}
}

func TestRecoveryWrap(t *testing.T) {
	k := NewKey()
	pair := NewRecoveryKeyPair()
	if err := CheckRecoveryPublic(pair.Public); err != nil {
		t.Fatal(err)
	}
	if CheckRecoveryPublic(pair.Private) == nil {
		t.Error("a private key was accepted as a public key")
	}
	w, err := WrapForRecovery(k, pair.Public)
	if err != nil {
		t.Fatal(err)
	}
	got, err := UnwrapWithRecovery(w, pair.Private)
	if err != nil || got != k {
		t.Fatalf("recovery with the county key: %v", err)
	}
	if _, err := UnwrapWithRecovery(w, NewRecoveryKeyPair().Private); !errors.Is(err, ErrWrongRecoveryKey) {
		t.Errorf("another county key: err %v, want ErrWrongRecoveryKey", err)
	}
	if _, err := WrapForRecovery(k, "jiuzhu-recovery-public:???"); err == nil {
		t.Error("a malformed public key was accepted")
	}
	if _, err := UnwrapWithRecovery(w, pair.Public); err == nil {
		t.Error("the public key unwrapped the data key")
	}
}

func TestKeyNeverPrints(t *testing.T) {
	k := NewKey()
	if s := k.String(); strings.Contains(s, string(k[:])) || !strings.Contains(s, k.ID()) {
		t.Errorf("Key.String() = %q", s)
	}
}

func BenchmarkSealOpenText(b *testing.B) {
	s := NewSealer(NewKey())
	for b.Loop() {
		v, _ := s.OpenText(s.SealText("110101199003077777"))
		if v == "" {
			b.Fatal("empty")
		}
	}
}

func FuzzOpenText(f *testing.F) {
	s := NewSealer(Key{1})
	f.Add(s.SealText("张三"))
	f.Add("")
	f.Fuzz(func(t *testing.T, in string) {
		if v, err := s.OpenText(in); err == nil && s.SealText(v) == "" {
			t.Fatal("opened a value that seals to nothing")
		}
	})
}
