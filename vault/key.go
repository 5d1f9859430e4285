package vault

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
)

// KeySize is the size of a data key in bytes.
const KeySize = 32

// Key is a device data key. Fields are never sealed with it directly: a
// sealing key and an index key are derived from it, so the two uses cannot
// meet.
type Key [KeySize]byte

// NewKey returns a fresh random data key.
func NewKey() Key {
	var k Key
	if _, err := rand.Read(k[:]); err != nil {
		panic("vault: no randomness: " + err.Error()) // crypto/rand never fails on supported systems
	}
	return k
}

// ID is a short fingerprint of the key, safe to store beside the data: it
// tells whether a key unwrapped by a user or by the county is the one the
// data were sealed with.
func (k Key) ID() string {
	m := hmac.New(sha256.New, k[:])
	m.Write([]byte("jiuzhu key id"))
	return hex.EncodeToString(m.Sum(nil)[:8])
}

func (k Key) derive(purpose string) []byte {
	out, err := hkdf.Key(sha256.New, k[:], nil, "jiuzhu "+purpose, 32)
	if err != nil {
		panic("vault: hkdf: " + err.Error()) // only for lengths over 255*32
	}
	return out
}

// ErrCorrupt is returned for a sealed value that does not open under the key.
var ErrCorrupt = errors.New("vault: sealed value does not open with this key")

// sealVersion prefixes every sealed value, so the format can change later.
const sealVersion = 1

// Sealer seals and opens field values and computes keyed index hashes. It is
// safe for concurrent use.
type Sealer struct {
	aead  cipher.AEAD
	index []byte
	id    string
}

// NewSealer derives the field keys from a data key.
func NewSealer(k Key) *Sealer {
	block, err := aes.NewCipher(k.derive("field seal"))
	if err != nil {
		panic("vault: aes: " + err.Error()) // 32-byte keys are always valid
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		panic("vault: gcm: " + err.Error())
	}
	return &Sealer{aead: aead, index: k.derive("blind index"), id: k.ID()}
}

// KeyID is the ID of the key the sealer was made from.
func (s *Sealer) KeyID() string { return s.id }

// Seal encrypts plaintext with a fresh random nonce: the same value sealed
// twice gives two different results, so equal fields cannot be spotted.
func (s *Sealer) Seal(plaintext []byte) []byte {
	ns := s.aead.NonceSize()
	out := make([]byte, 1+ns, 1+ns+len(plaintext)+s.aead.Overhead())
	out[0] = sealVersion
	if _, err := rand.Read(out[1:]); err != nil {
		panic("vault: no randomness: " + err.Error())
	}
	return s.aead.Seal(out, out[1:], plaintext, nil)
}

// Open decrypts a value made by Seal.
func (s *Sealer) Open(sealed []byte) ([]byte, error) {
	ns := s.aead.NonceSize()
	if len(sealed) < 1+ns+s.aead.Overhead() || sealed[0] != sealVersion {
		return nil, ErrCorrupt
	}
	out, err := s.aead.Open(nil, sealed[1:1+ns], sealed[1+ns:], nil)
	if err != nil {
		return nil, ErrCorrupt
	}
	return out, nil
}

// SealText seals a string into printable text (for TEXT columns).
func (s *Sealer) SealText(plaintext string) string {
	return base64.RawStdEncoding.EncodeToString(s.Seal([]byte(plaintext)))
}

// OpenText opens a value made by SealText. Exports open tens of thousands
// of JSON columns: the base64 decoding and the decryption share one pooled
// buffer (GCM opens in place), so the result string is the only allocation.
func (s *Sealer) OpenText(sealed string) (string, error) {
	bp := openBuffers.Get().(*[]byte)
	defer openBuffers.Put(bp)
	n := base64.RawStdEncoding.DecodedLen(len(sealed))
	if cap(*bp) < n {
		*bp = make([]byte, n)
	}
	buf := (*bp)[:n]
	n, err := base64.RawStdEncoding.Decode(buf, []byte(sealed))
	if err != nil {
		return "", ErrCorrupt
	}
	buf = buf[:n]
	ns := s.aead.NonceSize()
	if len(buf) < 1+ns+s.aead.Overhead() || buf[0] != sealVersion {
		return "", ErrCorrupt
	}
	ct := buf[1+ns:]
	out, err := s.aead.Open(ct[:0], buf[1:1+ns], ct, nil)
	if err != nil {
		return "", ErrCorrupt
	}
	return string(out), nil
}

// openBuffers hold sealed values while OpenText decodes and opens them.
var openBuffers = sync.Pool{New: func() any { b := make([]byte, 0, 512); return &b }}

// Index is a keyed hash of a value for exact lookups (an ID number): equal
// values give equal hashes, but without the key no one can test a guess.
func (s *Sealer) Index(value string) string {
	m := hmac.New(sha256.New, s.index)
	m.Write([]byte(value))
	return base64.RawStdEncoding.EncodeToString(m.Sum(nil)[:16])
}

// String never prints key material.
func (k Key) String() string { return fmt.Sprintf("vault.Key(%s)", k.ID()) }
