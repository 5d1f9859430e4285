package vault

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdh"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/crypto/argon2"
)

// ErrWrongPassword is returned when a password does not unwrap a data key.
var ErrWrongPassword = errors.New("vault: the password does not unwrap the data key")

// ErrWrongRecoveryKey is returned when a county private key does not unwrap it.
var ErrWrongRecoveryKey = errors.New("vault: the recovery key does not unwrap the data key")

// PasswordCost is the argon2id cost of a password wrap. Devices use
// DefaultPasswordCost, the OWASP minimum (19 MiB, 2 passes, 1 lane) as for
// the sign-in hash; the vault's own tests use a cheap one.
type PasswordCost struct {
	Memory  uint32 // KiB
	Time    uint32
	Threads uint8
}

// DefaultPasswordCost is the cost of new wraps (never changed at run time).
var DefaultPasswordCost = PasswordCost{Memory: 19 * 1024, Time: 2, Threads: 1}

// wrapAAD binds every wrap to its purpose.
var wrapAAD = []byte("jiuzhu data key")

func gcmSeal(key, plaintext []byte) []byte {
	block, _ := aes.NewCipher(key)
	aead, _ := cipher.NewGCM(block)
	nonce := make([]byte, aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		panic("vault: no randomness: " + err.Error())
	}
	return aead.Seal(nonce, nonce, plaintext, wrapAAD)
}

func gcmOpen(key, sealed []byte) ([]byte, bool) {
	block, _ := aes.NewCipher(key)
	aead, _ := cipher.NewGCM(block)
	if len(sealed) < aead.NonceSize()+aead.Overhead() {
		return nil, false
	}
	out, err := aead.Open(nil, sealed[:aead.NonceSize()], sealed[aead.NonceSize():], wrapAAD)
	return out, err == nil
}

var b64 = base64.RawStdEncoding

// WrapWithPassword encrypts the data key under a key derived from password
// with argon2id and a fresh salt. The result is text, safe to store.
func WrapWithPassword(k Key, password string, cost PasswordCost) string {
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		panic("vault: no randomness: " + err.Error())
	}
	kek := argon2.IDKey([]byte(password), salt, cost.Time, cost.Memory, cost.Threads, 32)
	return fmt.Sprintf("pw1$m=%d,t=%d,p=%d$%s$%s", cost.Memory, cost.Time, cost.Threads,
		b64.EncodeToString(salt), b64.EncodeToString(gcmSeal(kek, k[:])))
}

// UnwrapWithPassword recovers the data key from a password wrap.
func UnwrapWithPassword(wrapped, password string) (Key, error) {
	parts := strings.Split(wrapped, "$")
	if len(parts) != 4 || parts[0] != "pw1" {
		return Key{}, fmt.Errorf("vault: unknown password wrap format")
	}
	var c PasswordCost
	if _, err := fmt.Sscanf(parts[1], "m=%d,t=%d,p=%d", &c.Memory, &c.Time, &c.Threads); err != nil ||
		c.Memory == 0 || c.Time == 0 || c.Threads == 0 || c.Memory > 4<<20 || c.Time > 100 {
		return Key{}, fmt.Errorf("vault: bad password wrap parameters")
	}
	salt, err1 := b64.DecodeString(parts[2])
	sealed, err2 := b64.DecodeString(parts[3])
	if err1 != nil || err2 != nil {
		return Key{}, fmt.Errorf("vault: bad password wrap encoding")
	}
	kek := argon2.IDKey([]byte(password), salt, c.Time, c.Memory, c.Threads, 32)
	return keyFrom(gcmOpen(kek, sealed))
}

func keyFrom(b []byte, ok bool) (Key, error) {
	var k Key
	if !ok || len(b) != KeySize {
		return k, ErrWrongPassword
	}
	copy(k[:], b)
	return k, nil
}

// Text forms of the county recovery key pair, as stored in files.
const (
	recoveryPublicPrefix  = "jiuzhu-recovery-public:"
	recoveryPrivatePrefix = "jiuzhu-recovery-private:"
)

// RecoveryKeyPair is the county's recovery key pair, as text. The private
// half never leaves the county; devices get the public half.
type RecoveryKeyPair struct {
	Public  string
	Private string
}

// NewRecoveryKeyPair makes a fresh X25519 key pair.
func NewRecoveryKeyPair() RecoveryKeyPair {
	priv, err := ecdh.X25519().GenerateKey(rand.Reader)
	if err != nil {
		panic("vault: no randomness: " + err.Error())
	}
	return RecoveryKeyPair{
		Public:  recoveryPublicPrefix + b64.EncodeToString(priv.PublicKey().Bytes()),
		Private: recoveryPrivatePrefix + b64.EncodeToString(priv.Bytes()),
	}
}

func parseRecoveryPublic(text string) (*ecdh.PublicKey, error) {
	raw, ok := strings.CutPrefix(strings.TrimSpace(text), recoveryPublicPrefix)
	if !ok {
		return nil, fmt.Errorf("vault: not a county recovery public key")
	}
	b, err := b64.DecodeString(raw)
	if err != nil {
		return nil, fmt.Errorf("vault: bad recovery public key encoding")
	}
	return ecdh.X25519().NewPublicKey(b)
}

// CheckRecoveryPublic reports whether text is a county recovery public key.
func CheckRecoveryPublic(text string) error {
	_, err := parseRecoveryPublic(text)
	return err
}

func recoveryWrapKey(shared, ephemeral, recipient []byte) []byte {
	salt := append(append([]byte{}, ephemeral...), recipient...)
	out, err := hkdf.Key(sha256.New, shared, salt, "jiuzhu recovery wrap", 32)
	if err != nil {
		panic("vault: hkdf: " + err.Error())
	}
	return out
}

// WrapForRecovery encrypts the data key to the county's recovery public key
// (ephemeral-static X25519, HKDF-SHA256, AES-256-GCM): only the holder of
// the private key can unwrap it, and the device cannot.
func WrapForRecovery(k Key, public string) (string, error) {
	pub, err := parseRecoveryPublic(public)
	if err != nil {
		return "", err
	}
	eph, err := ecdh.X25519().GenerateKey(rand.Reader)
	if err != nil {
		return "", err
	}
	shared, err := eph.ECDH(pub)
	if err != nil {
		return "", err
	}
	kek := recoveryWrapKey(shared, eph.PublicKey().Bytes(), pub.Bytes())
	return "x25519v1$" + b64.EncodeToString(eph.PublicKey().Bytes()) + "$" + b64.EncodeToString(gcmSeal(kek, k[:])), nil
}

// UnwrapWithRecovery recovers the data key with the county's private key.
func UnwrapWithRecovery(wrapped, private string) (Key, error) {
	raw, ok := strings.CutPrefix(strings.TrimSpace(private), recoveryPrivatePrefix)
	if !ok {
		return Key{}, fmt.Errorf("vault: not a county recovery private key")
	}
	privBytes, err := b64.DecodeString(raw)
	if err != nil {
		return Key{}, fmt.Errorf("vault: bad recovery private key encoding")
	}
	priv, err := ecdh.X25519().NewPrivateKey(privBytes)
	if err != nil {
		return Key{}, fmt.Errorf("vault: bad recovery private key: %w", err)
	}
	parts := strings.Split(wrapped, "$")
	if len(parts) != 3 || parts[0] != "x25519v1" {
		return Key{}, fmt.Errorf("vault: unknown recovery wrap format")
	}
	ephBytes, err1 := b64.DecodeString(parts[1])
	sealed, err2 := b64.DecodeString(parts[2])
	if err1 != nil || err2 != nil {
		return Key{}, fmt.Errorf("vault: bad recovery wrap encoding")
	}
	eph, err := ecdh.X25519().NewPublicKey(ephBytes)
	if err != nil {
		return Key{}, fmt.Errorf("vault: bad recovery wrap: %w", err)
	}
	shared, err := priv.ECDH(eph)
	if err != nil {
		return Key{}, ErrWrongRecoveryKey
	}
	k, err := keyFrom(gcmOpen(recoveryWrapKey(shared, ephBytes, priv.PublicKey().Bytes()), sealed))
	if err != nil {
		return Key{}, ErrWrongRecoveryKey
	}
	return k, nil
}
